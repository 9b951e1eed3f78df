import Foundation

/// Where the canonical layout files bundled with Transfuse live. The JSON files beside this
/// source file are the single source of truth; SwiftPM copies them into the resource bundle
/// `Transfuse_CanonicalLayouts.resources` next to the built binary.
public enum CanonicalLayoutFiles {
    /// The bundled folder: the resource bundle beside the executable, else this source folder
    /// (a development build). Nil when neither exists.
    public static var directory: String? {
        ResourceFolder.locate(bundle: "Transfuse_CanonicalLayouts.resources", sourceFile: #filePath)
    }
}

/// Finds a resource folder without `Bundle.module`, which traps when the bundle is missing.
public enum ResourceFolder {
    /// The first existing folder among: `bundle` beside the main bundle or the executable,
    /// then the folder of `sourceFile`.
    public static func locate(bundle: String, sourceFile: String) -> String? {
        let manager = FileManager.default
        var candidates = [Bundle.main.bundleURL.appendingPathComponent(bundle).path]
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent(bundle).path)
        }
        candidates.append(URL(fileURLWithPath: sourceFile).deletingLastPathComponent().path)
        return candidates.first { path in
            var isFolder: ObjCBool = false
            return manager.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
        }
    }
}
