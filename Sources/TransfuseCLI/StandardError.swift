import Foundation

/// Writes human-facing lines (progress, notes, warnings) to standard error.
enum StandardError {
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func line(_ text: String) { write(text + "\n") }

    static var isTerminal: Bool { isatty(2) != 0 }
}
