import Foundation
import Testing
@testable import Transport

@Suite("Input validation: clear errors, never a crash")
struct ValidationTests {
    static let cost = try! Matrix([[0, 1, 2], [1, 0, 1]])

    static let bad: [(String, Matrix, [Double]?, [Double]?)] = [
        ("empty", Matrix(rows: 0, cols: 3), nil, nil),
        ("NaN cost", try! Matrix([[0, .nan], [1, 0]]), nil, nil),
        ("Inf cost", try! Matrix([[0, .infinity], [1, 0]]), nil, nil),
        ("negative cost", try! Matrix([[0, -1], [1, 0]]), nil, nil),
        ("a too short", cost, [1], nil),
        ("b too long", cost, nil, [0.25, 0.25, 0.25, 0.25]),
        ("negative a", cost, [1.5, -0.5], nil),
        ("NaN b", cost, nil, [.nan, 0.5, 0.5]),
        ("mass mismatch", cost, [0.5, 0.5], [0.5, 0.5, 0.5]),
        ("zero mass", cost, [0, 0], [0, 0, 0]),
    ]

    @Test("EMD and Sinkhorn reject bad problems with TransportError", arguments: 0..<bad.count)
    func rejects(_ index: Int) {
        let (name, cost, a, b) = Self.bad[index]
        #expect(throws: TransportError.self, "\(name)") { try EMD.solve(cost: cost, a: a, b: b) }
        #expect(throws: TransportError.self, "\(name)") { try Sinkhorn(reg: 0.1).solve(cost: cost, a: a, b: b) }
    }

    @Test("messages name the problem and the shapes")
    func messages() {
        do {
            _ = try EMD.solve(cost: Self.cost, a: [1], b: nil)
            Issue.record("no error")
        } catch let error as TransportError {
            #expect(error.description.contains("expected 2 values"))
            #expect(error.description.contains("[2, 3]"))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test("bad Sinkhorn parameters are rejected", arguments: [(0.0, 10, 1e-9), (-1, 10, 1e-9), (.nan, 10, 1e-9), (0.1, 0, 1e-9), (0.1, 10, -1)])
    func parameters(_ p: (Double, Int, Double)) {
        #expect(throws: TransportError.self) {
            try Sinkhorn(reg: p.0, maxIterations: p.1, stopThreshold: p.2).solve(cost: Self.cost)
        }
    }

    @Test("b is rescaled to the mass of a within the tolerance, as POT does")
    func rescale() throws {
        let result = try EMD.solve(cost: Self.cost, a: [0.5, 0.5], b: [0.3, 0.3, 0.4 + 1e-8])
        #expect(abs(result.plan.storage.reduce(0, +) - 1) <= 1e-15)
    }
}
