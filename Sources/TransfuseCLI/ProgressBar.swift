import Foundation
import WeightStore

/// A byte-count progress bar on standard error for long jobs.
///
/// Silent for jobs under `threshold` bytes. On a terminal it redraws one line at most ten
/// times a second; otherwise it prints a line at every 10%, so logs stay short.
final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let threshold: Int
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private var lastDecile = -1
    private var drew = false

    init(label: String, threshold: Int = 64_000_000) {
        self.label = label
        self.threshold = threshold
    }

    /// Reports `done` of `total` bytes.
    func update(_ done: Int, _ total: Int) {
        guard total >= threshold else { return }
        lock.lock(); defer { lock.unlock() }
        let fraction = total == 0 ? 1 : Double(done) / Double(total)
        if StandardError.isTerminal {
            let now = Date()
            guard done >= total || now.timeIntervalSince(lastDraw) > 0.1 else { return }
            lastDraw = now
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            StandardError.write("\r\(label) \(bar) \(Int(fraction * 100))% \(ByteSize.format(done))/\(ByteSize.format(total))")
            drew = true
        } else {
            let decile = Int(fraction * 10)
            guard decile > lastDecile else { return }
            lastDecile = decile
            StandardError.line("\(label): \(decile * 10)% (\(ByteSize.format(done)) of \(ByteSize.format(total)))")
        }
    }

    /// Ends the bar's line.
    func finish() {
        if drew { StandardError.write("\n") }
    }

    var handler: @Sendable (Int, Int) -> Void {
        { [self] done, total in self.update(done, total) }
    }
}
