import Foundation
import Testing

/// Every `transfuse` command shown in README.md's code blocks runs on the samples and succeeds,
/// so the README never shows a command that fails. Commands run in README order from the
/// repository root (later examples read what earlier ones wrote under `demo-output/`).
@Suite("README commands")
struct ReadmeCommandsTests {
    /// One command of a code block, with the output lines the README lists under it
    /// (only for blocks written as `$ command` + output).
    struct Example: CustomStringConvertible {
        let line: Int
        let command: String
        let listedOutput: [String]
        var description: String { "README.md:\(line): \(command)" }
    }

    /// The examples of every ``` block, in order. In a block with `$ ` lines, those are the
    /// commands and the other lines their output; otherwise every line starting with
    /// `transfuse ` is a command. Lines ending in `\` continue on the next line.
    static func examples(in text: String) -> [Example] {
        let lines = text.components(separatedBy: "\n")
        var result: [Example] = []
        var block: [(number: Int, text: String)] = []
        var inBlock = false
        for (index, line) in lines.enumerated() {
            if line.hasPrefix("```") {
                if inBlock { result += examples(inBlock: block) }
                inBlock.toggle()
                block = []
            } else if inBlock {
                block.append((index + 1, line))
            }
        }
        return result
    }

    static func examples(inBlock block: [(number: Int, text: String)]) -> [Example] {
        let prompted = block.contains { $0.text.hasPrefix("$ ") }
        var result: [Example] = []
        var i = 0
        while i < block.count {
            var text = block[i].text
            let start = block[i].number
            let isCommand = prompted ? text.hasPrefix("$ ") : text.hasPrefix("transfuse ")
            guard isCommand else { i += 1; continue }
            if prompted { text.removeFirst(2) }
            while text.hasSuffix("\\"), i + 1 < block.count {
                text.removeLast()
                i += 1
                text += " " + block[i].text.trimmingCharacters(in: .whitespaces)
            }
            i += 1
            var output: [String] = []
            if prompted {
                while i < block.count, !block[i].text.hasPrefix("$ ") {
                    if !block[i].text.isEmpty { output.append(block[i].text) }
                    i += 1
                }
            }
            if text.hasPrefix("transfuse ") {
                result.append(Example(line: start, command: text, listedOutput: output))
            }
        }
        return result
    }

    /// Shell-like words: split at blanks, single and double quotes group, `#` starts a comment.
    static func words(_ command: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        for c in command {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c
                inWord = true
            } else if c == " " || c == "\t" {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else if c == "#" && !inWord {
                break
            } else {
                current.append(c)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    static func readme() throws -> String {
        try String(contentsOf: SampleModels.root.appendingPathComponent("README.md"), encoding: .utf8)
    }

    @Test("The README's examples are found: commands, continuations, comments, listed output")
    func parsing() throws {
        let examples = Self.examples(in: try Self.readme())
        #expect(examples.count >= 15)
        #expect(examples.allSatisfy { !$0.command.contains("\\") && $0.command.hasPrefix("transfuse ") })
        let diff = try #require(examples.first { $0.command == "transfuse diff Samples/vit-digits-a demo-output/vit-digits-a.h5" })
        #expect(diff.listedOutput == ["72 tensors compared: 72 identical, 0 within atol 0.0, 0 differ", "equal"])
        #expect(Self.words("transfuse inspect m --filter 'a b.*'  # comment") == ["transfuse", "inspect", "m", "--filter", "a b.*"])
    }

    @Test("Every transfuse command in README.md succeeds; diff and eval print what the README lists")
    func commandsRun() throws {
        let examples = Self.examples(in: try Self.readme())
        let root = SampleModels.root.path
        // The README's tour follows `make demo`, which creates demo-output/ (git-ignored); a fresh
        // clone has none, and Transfuse never creates the folder an output goes into.
        try FileManager.default.createDirectory(atPath: root + "/demo-output", withIntermediateDirectories: true)
        for example in examples {
            let words = Self.words(example.command)
            let result = try CommandRunner.run(Array(words.dropFirst()), currentDirectory: root)
            #expect(result.status == 0, "\(example) exited with \(result.status): \(result.stderr)")
            // Outputs without timings: every line the README lists appears as printed.
            guard ["diff", "eval"].contains(words.dropFirst().first ?? "") else { continue }
            let printed = Set(result.stdout.components(separatedBy: "\n"))
            for line in example.listedOutput {
                #expect(printed.contains(line), "\(example): listed line '\(line)' not printed; got:\n\(result.stdout)")
            }
        }
    }
}
