import ArgumentParser
import NamingSchemes

/// Options every command that reads models through their naming scheme shares.
struct SchemeOptions: ParsableArguments {
    @Option(help: "The number of attention heads, for checkpoints whose config does not say (heads cannot be read from shapes).")
    var heads: Int?

    @Option(name: .customLong("schemes"), help: ArgumentHelp(
        "A folder of extra naming-scheme rule files (repeatable); also read from $\(SchemeRegistry.environmentVariable).",
        valueName: "dir"))
    var schemeDirectories: [String] = []

    func validate() throws {
        if let heads, heads < 1 { throw ValidationError("--heads must be a positive number (got \(heads))") }
    }

    /// The bundled rule files plus the user's.
    func registry() throws -> SchemeRegistry {
        try SchemeRegistry.load(userDirectories: schemeDirectories)
    }
}
