import ArgumentParser
import Checkpoints
import Foundation
import WeightStore

/// `transfuse diff`: compare two checkpoints tensor by tensor, exit status as `diff`'s.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two checkpoints: names, dtypes, shapes and values.",
        discussion: """
            Exit status: 0 when both hold the same tensors with values equal within --atol, \
            1 when they differ, 2 when a file cannot be read. The formats may differ \
            (e.g. a .safetensors against its .h5 conversion).

            maxRel is max|a-b| divided by the largest |value| of the two tensors.

            Examples:
              transfuse diff a.safetensors a.h5
              transfuse diff fused.safetensors reference.safetensors --atol 1e-5 --json
            """
    )

    @Argument(help: "First checkpoint (A).")
    var a: String

    @Argument(help: "Second checkpoint (B).")
    var b: String

    @Flag(help: "Print one JSON object: onlyInA, onlyInB, mismatched, compared (maxAbs, maxRel per tensor), equal, atol.")
    var json = false

    @Option(help: "Largest absolute difference still counted as equal (default 0: identical values).")
    var atol: Double = 0

    func validate() throws {
        guard atol >= 0, atol.isFinite else { throw ValidationError("--atol must be a finite number ≥ 0") }
    }

    func run() throws {
        let left: WeightStore
        let right: WeightStore
        do {
            left = try Checkpoint.read(a)
            right = try Checkpoint.read(b)
        } catch {
            StandardError.line("Error: \(error)")
            throw ExitCode(2)
        }
        let diff = try StoreDiff.compare(left, right, atol: atol)
        if json {
            try JSONOutput.print(DiffReport(diff: diff))
        } else {
            print(DiffText.render(diff, a: a, b: b))
        }
        if !diff.equal { throw ExitCode(1) }
    }
}

/// `diff --json`: the comparison plus its verdict.
struct DiffReport: Encodable {
    let diff: StoreDiff
    enum Keys: String, CodingKey { case onlyInA, onlyInB, mismatched, compared, equal, atol }
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(diff.onlyInA, forKey: .onlyInA)
        try container.encode(diff.onlyInB, forKey: .onlyInB)
        try container.encode(diff.mismatched, forKey: .mismatched)
        try container.encode(diff.compared, forKey: .compared)
        try container.encode(diff.equal, forKey: .equal)
        try container.encode(diff.atol, forKey: .atol)
    }
}

/// The human-readable rendering of `diff`.
enum DiffText {
    static func render(_ diff: StoreDiff, a: String, b: String) -> String {
        var lines: [String] = []
        if !diff.onlyInA.isEmpty {
            lines.append("only in \(a) (\(diff.onlyInA.count)):")
            lines += diff.onlyInA.map { "  \($0)" }
        }
        if !diff.onlyInB.isEmpty {
            lines.append("only in \(b) (\(diff.onlyInB.count)):")
            lines += diff.onlyInB.map { "  \($0)" }
        }
        if !diff.mismatched.isEmpty {
            lines.append("different dtype or shape (\(diff.mismatched.count)):")
            lines += diff.mismatched.map { "  \($0.name): \($0.a) vs \($0.b)" }
        }
        let differing = diff.compared.filter { !$0.identical }
        if !differing.isEmpty {
            let rows = differing.map { entry in
                [entry.name, format(entry.maxAbs), format(entry.maxRel), entry.equal ? "within atol" : "differs"]
            }
            lines += TextTable.render(header: ["tensor", "max abs", "max rel", ""], rows: rows, rightAligned: [1, 2])
        }
        let identical = diff.compared.count - differing.count
        lines.append("\(diff.compared.count) tensors compared: \(identical) identical, "
                     + "\(differing.filter(\.equal).count) within atol \(diff.atol), \(differing.filter { !$0.equal }.count) differ")
        lines.append(diff.equal ? "equal" : "different")
        return lines.joined(separator: "\n")
    }

    private static func format(_ value: Double?) -> String {
        guard let value else { return "bytes differ" }
        return String(format: "%.3g", value)
    }
}
