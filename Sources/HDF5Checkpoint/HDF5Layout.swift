/// The ways checkpoints are laid out in HDF5 files that Transfuse reads.
public enum HDF5Layout: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Transfuse's canonical layout (Schemas/HDF5-LAYOUT.md): root attribute
    /// `transfuse_layout_version`, groups nested by the dotted name, order and metadata in
    /// root attributes. The only layout Transfuse writes.
    case transfuse
    /// One dataset per tensor at the root, named by the full dotted name (`f[name] = array`).
    case flat
    /// Datasets in nested groups without Transfuse attributes; the tensor name is the path
    /// with `/` replaced by `.`.
    case nested
    /// Legacy Keras / tf.keras `.h5`: `layer_names` and per-layer `weight_names` attributes.
    case kerasLegacy
    /// Keras 3 `.weights.h5`: `layers/<name>/…/vars/<i>`; the tensor name is the path.
    case keras3

    public var description: String {
        switch self {
        case .transfuse: return "Transfuse HDF5 layout"
        case .flat: return "flat HDF5 (one dataset per tensor at the root)"
        case .nested: return "nested HDF5 groups"
        case .kerasLegacy: return "legacy Keras .h5 weights"
        case .keras3: return "Keras 3 .weights.h5"
        }
    }
}
