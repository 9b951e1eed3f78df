import Foundation

/// Strict access to a parsed JSON document for the rule and layout files: every accessor
/// names the JSON path of the problem, and `object(allowing:)` rejects unknown fields so
/// that a misspelt key is an error, never silently ignored.
struct JSONNode {
    let value: Any
    /// JSON path such as `rules[3].transform[0]`.
    let path: String

    /// Parses `data` as one JSON document.
    static func parse(_ data: Data) -> Result<JSONNode, RuleFileIssue> {
        do {
            return .success(JSONNode(value: try JSONSerialization.jsonObject(with: data), path: "$"))
        } catch {
            return .failure(RuleFileIssue("not valid JSON: \(error.localizedDescription)"))
        }
    }

    /// The fields of an object, checking that every field is in `allowed`.
    func object(allowing allowed: Set<String>) throws -> [String: JSONNode] {
        guard let dictionary = value as? [String: Any] else { throw issue("expected an object") }
        var result: [String: JSONNode] = [:]
        for (key, child) in dictionary {
            guard allowed.contains(key) else {
                throw issue("unknown field '\(key)' (allowed: \(allowed.sorted().joined(separator: ", ")))")
            }
            result[key] = JSONNode(value: child, path: "\(path).\(key)")
        }
        return result
    }

    /// The fields of an object with arbitrary keys.
    func dictionary() throws -> [String: JSONNode] {
        guard let dictionary = value as? [String: Any] else { throw issue("expected an object") }
        var result: [String: JSONNode] = [:]
        for (key, child) in dictionary { result[key] = JSONNode(value: child, path: "\(path).\(key)") }
        return result
    }

    func array() throws -> [JSONNode] {
        guard let array = value as? [Any] else { throw issue("expected an array") }
        return array.enumerated().map { JSONNode(value: $1, path: "\(path)[\($0)]") }
    }

    func string() throws -> String {
        guard let string = value as? String else { throw issue("expected a string") }
        return string
    }

    /// Whether the value is a JSON `true`/`false` (on Linux, `is Bool` also holds for 0 and 1).
    static func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    func int() throws -> Int {
        guard !JSONNode.isBoolean(value), let number = value as? NSNumber, let int = Int(exactly: number.doubleValue) else {
            throw issue("expected an integer")
        }
        return int
    }

    func double() throws -> Double {
        guard !JSONNode.isBoolean(value), let number = value as? NSNumber else { throw issue("expected a number") }
        return number.doubleValue
    }

    func bool() throws -> Bool {
        guard JSONNode.isBoolean(value), let bool = value as? Bool else { throw issue("expected true or false") }
        return bool
    }

    /// A string or an array of strings, as an array.
    func strings() throws -> [String] {
        if let single = value as? String { return [single] }
        return try array().map { try $0.string() }
    }

    func issue(_ reason: String) -> RuleFileIssue {
        RuleFileIssue("\(path): \(reason)")
    }
}

/// Turns a `RuleFileIssue` thrown while reading `file` into the module's error.
func ruleFileError(_ error: Error, file: String) -> Error {
    guard let issue = error as? RuleFileIssue else { return error }
    let parts = issue.reason.split(separator: ":", maxSplits: 1)
    if parts.count == 2, parts[0].hasPrefix("$") {
        return NamingSchemeError.invalidRuleFile(file: file, location: String(parts[0]),
                                                 reason: parts[1].trimmingCharacters(in: .whitespaces))
    }
    return NamingSchemeError.invalidRuleFile(file: file, location: "$", reason: issue.reason)
}
