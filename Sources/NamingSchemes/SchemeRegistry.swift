import CanonicalLayouts
import ConverterRules
import Foundation

/// The canonical layouts and naming schemes Transfuse knows: the files bundled from
/// `Schemas/` and `Converters/`, plus users' own rule files.
///
/// User folders (`--schemes DIR`, then the colon-separated folders of the environment
/// variable `TRANSFUSE_SCHEMES`) are read after the bundled files: a `*.json` file there is a
/// canonical layout when it has a `tensors` field and a rule file otherwise. A user scheme
/// with the name and family of an earlier one replaces it. Every file is validated strictly
/// when loaded (`NamingSchemeError.invalidRuleFile` names the file and the JSON path).
public struct SchemeRegistry: Sendable {
    /// Canonical layouts by family.
    public let layouts: [String: CanonicalLayout]
    /// Every (scheme, family) definition, in load order.
    public let schemes: [Scheme]

    /// The environment variable listing extra rule folders.
    public static let environmentVariable = "TRANSFUSE_SCHEMES"

    /// Scheme names, sorted.
    public var schemeNames: [String] { Array(Set(schemes.map(\.name))).sorted() }

    /// Loads the bundled files and the user folders.
    /// - Parameters:
    ///   - userDirectories: folders given with `--schemes`.
    ///   - environment: where `TRANSFUSE_SCHEMES` is looked up.
    public static func load(userDirectories: [String] = [],
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SchemeRegistry {
        var folders: [String] = []
        guard let layoutFolder = CanonicalLayoutFiles.directory, let ruleFolder = ConverterRuleFiles.directory else {
            throw NamingSchemeError.invalidRuleFile(file: "Transfuse_CanonicalLayouts.resources / Transfuse_ConverterRules.resources",
                                                    location: "$", reason: "the bundled rule files are missing beside the executable")
        }
        folders = [layoutFolder, ruleFolder] + userDirectories
        if let extra = environment[environmentVariable] {
            folders += extra.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        var files: [(path: String, data: Data, isLayout: Bool)] = []
        for folder in folders {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw NamingSchemeError.invalidRuleFile(file: folder, location: "$", reason: "not a folder of rule files")
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }.sorted()
            for name in names {
                let path = folder + "/" + name
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw NamingSchemeError.invalidRuleFile(file: path, location: "$", reason: "cannot read the file")
                }
                let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
                files.append((path, data, object?["tensors"] != nil))
            }
        }
        var layouts: [String: CanonicalLayout] = [:]
        for file in files where file.isLayout {
            let layout = try CanonicalLayout.parse(file.data, source: file.path)
            layouts[layout.family] = layout
        }
        var schemes: [Scheme] = []
        for file in files where !file.isLayout {
            for scheme in try Scheme.parse(file.data, source: file.path, layouts: layouts) {
                schemes.removeAll { $0.name == scheme.name && $0.family == scheme.family }
                schemes.append(scheme)
            }
        }
        return SchemeRegistry(layouts: layouts, schemes: schemes)
    }

    /// The layout of `family`.
    public func layout(_ family: String) throws -> CanonicalLayout {
        guard let layout = layouts[family] else {
            throw NamingSchemeError.invalidRuleFile(file: "Schemas/", location: "$", reason: "no canonical layout for family '\(family)'")
        }
        return layout
    }

    /// The definitions of the scheme `name` (one per family it covers).
    public func schemes(named name: String) throws -> [Scheme] {
        let found = schemes.filter { $0.name == name }
        guard !found.isEmpty else { throw NamingSchemeError.unknownScheme(name: name, known: schemeNames) }
        return found
    }

    /// The definition of `name` for `family`.
    public func scheme(named name: String, family: String) throws -> Scheme {
        guard let scheme = try schemes(named: name).first(where: { $0.family == family }) else {
            throw NamingSchemeError.unrepresentable(canonical: "a \(family) model", scheme: name,
                                                    reason: "the scheme covers only \(try schemes(named: name).map(\.family).joined(separator: ", "))")
        }
        return scheme
    }
}
