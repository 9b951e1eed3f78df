import CanonicalLayouts
import Foundation

/// Where the rule files bundled with Transfuse live. The JSON files beside this source file
/// are the single source of truth; SwiftPM copies them into the resource bundle
/// `Transfuse_ConverterRules.resources` next to the built binary.
public enum ConverterRuleFiles {
    /// The bundled folder: the resource bundle beside the executable, else this source folder
    /// (a development build). Nil when neither exists.
    public static var directory: String? {
        ResourceFolder.locate(bundle: "Transfuse_ConverterRules.resources", sourceFile: #filePath)
    }
}
