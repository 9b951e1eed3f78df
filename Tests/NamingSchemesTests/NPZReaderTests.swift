import Foundation
import NPZ
import Testing
import WeightStore

/// The `.npz` reader on numpy's own files (Fixtures/npz, written by make_fixtures.py).
@Suite("NPZ reader")
struct NPZReaderTests {
    @Test("deflated entries, nested names, integer, half, big-endian, boolean and scalar arrays")
    func compressed() throws {
        let store = try NPZReader.read(path: Fixtures.path("npz/compressed.npz"))
        #expect(Set(store.names) == ["a/b", "ints", "half", "big", "flag", "scalar"])
        let matrix = try #require(store["a/b"])
        #expect(matrix.dtype == .f32 && matrix.shape == [2, 3])
        #expect(try matrix.floats() == [0, 1, 2, 3, 4, 5])
        let ints = try #require(store["ints"])
        #expect(ints.dtype == .i64 && ints.shape == [4])
        #expect(try ints.withBytes { Array($0.bindMemory(to: Int64.self)) } == [0, 1, 2, 3])
        #expect(try store["half"]!.floats() == [0.5, 1.5, -2])
        let big = try #require(store["big"])
        #expect(big.dtype == .f32 && big.shape == [2, 2])
        #expect(try big.floats() == [0, 1, 2, 3])   // byte-swapped to little-endian
        let flag = try #require(store["flag"])
        let flagBytes = try flag.withBytes { Array($0) }
        #expect(flag.dtype == .bool && flagBytes == [1, 0])
        let scalar = try #require(store["scalar"])
        let scalarValue = try scalar.floats()
        #expect(scalar.dtype == .f64 && scalar.shape == [] && scalarValue == [2.5])
    }

    @Test("Fortran order, object arrays and non-zip files are errors naming file and array")
    func errors() throws {
        let fortran = Fixtures.path("npz/fortran.npz")
        #expect(throws: NPZError.fortranOrder(path: fortran, array: "w", shape: [2, 3])) { _ = try NPZReader.read(path: fortran) }
        let object = Fixtures.path("npz/object.npz")
        #expect(throws: NPZError.unsupportedDType(path: object, array: "o", descr: "|O")) { _ = try NPZReader.read(path: object) }
        let notZip = Fixtures.path("hf-bert-model/config.json")
        do {
            _ = try NPZReader.read(path: notZip)
            Issue.record("a JSON file must not read as .npz")
        } catch let error as NPZError {
            guard case .unreadable(notZip, _) = error else { Issue.record("got \(error)"); return }
        }
    }
}
