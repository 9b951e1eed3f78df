import Foundation
import Testing
@testable import Transport

/// The committed POT / reference fixtures (see Fixtures/make_fixtures.py): `manifest.json` plus
/// little-endian float64 `.bin` files holding the arrays.
struct FixtureSet: Sendable {
    struct ArrayRef: Decodable, Sendable {
        let file: String
        let offset: Int
        let shape: [Int]
    }

    struct Options: Decodable, Sendable {
        let type: String
        let norm: String
        let squared: Bool
        let clip: Bool
        let clip_min: Double
        let clip_max: Double
        let reg: Double
        let preprocessing: String
    }

    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let kind: String
        let arrays: [String: ArrayRef]
        let pot_cost: Double?
        let reg: Double?
        let max_iterations: Int?
        let stop_threshold: Double?
        let pot_niter: Int?
        let options: Options?
        var testDescription: String { name }
    }

    struct Manifest: Decodable { let cases: [Case] }

    let cases: [Case]
    let files: [String: [Double]]

    static let shared: FixtureSet = {
        do { return try FixtureSet() } catch { fatalError("cannot load Transport fixtures: \(error)") }
    }()

    static func cases(kind: String) -> [Case] { shared.cases.filter { $0.kind == kind } }

    init() throws {
        guard let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw TransportError.solverFailed("Fixtures folder missing from the test bundle")
        }
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: dir.appendingPathComponent("manifest.json")))
        var files = [String: [Double]]()
        for name in Set(manifest.cases.flatMap { $0.arrays.values.map(\.file) }) {
            let data = try Data(contentsOf: dir.appendingPathComponent(name))
            var values = [Double](repeating: 0, count: data.count / 8)
            data.withUnsafeBytes { raw in
                for k in values.indices {
                    values[k] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * k, as: UInt64.self)))
                }
            }
            files[name] = values
        }
        self.cases = manifest.cases
        self.files = files
    }

    /// The values of array `key` of `testCase`, or nil when the case has no such array.
    func values(_ testCase: Case, _ key: String) -> [Double]? {
        guard let ref = testCase.arrays[key], let file = files[ref.file] else { return nil }
        let count = ref.shape.reduce(1, *)
        return Array(file[ref.offset..<(ref.offset + count)])
    }

    /// Array `key` as a matrix (a 1-D array becomes one row).
    func matrix(_ testCase: Case, _ key: String) throws -> Matrix {
        let ref = try #require(testCase.arrays[key])
        let flat = try #require(self.values(testCase, key))
        let rows = ref.shape.count == 2 ? ref.shape[0] : 1
        return try Matrix(rows: rows, cols: ref.shape.last ?? 0, values: flat)
    }
}

/// Largest absolute entry-wise difference of two equally shaped matrices.
func maxAbsDifference(_ x: Matrix, _ y: Matrix) -> Double {
    zip(x.storage, y.storage).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Checks `P >= 0`, `P·1 ≈ a` and `Pᵀ·1 ≈ b` to `tolerance` times the total mass.
func expectValidPlan(_ plan: Matrix, a: [Double], b: [Double], tolerance: Double,
                     sourceLocation: SourceLocation = #_sourceLocation) {
    let mass = a.reduce(0, +)
    #expect(plan.storage.allSatisfy { $0 >= 0 && $0.isFinite }, "plan has negative or non-finite entries", sourceLocation: sourceLocation)
    let rows = plan.rowSums(), cols = plan.columnSums()
    let rowError = zip(rows, a).reduce(0) { max($0, abs($1.0 - $1.1)) }
    let colError = zip(cols, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    #expect(rowError <= tolerance * mass, "row marginal error \(rowError)", sourceLocation: sourceLocation)
    #expect(colError <= tolerance * mass, "column marginal error \(colError)", sourceLocation: sourceLocation)
}
