import Foundation
import HDF5Kit
import WeightStore

/// Calibration inputs for fusing ViTs without data: images of standard-normal noise in the
/// model's (normalised) input space. They give REPAIR activation statistics to match, which
/// measurably helps one-shot fusion of the sample digit ViTs (README, "Measured on the
/// samples"); their statistics are not those of real images, so real data does better.
public enum SyntheticCalibration {
    /// The input shape `(channels, imageSize)` of the ViT in `store` (canonical layout, with its
    /// config.json).
    /// - Throws: `InferenceError.unsupported` naming `source` for anything but a ViT (random
    ///   token sequences measured no gain on the BERT samples), `.config` for a missing key.
    public static func imageShape(of store: WeightStore, source: String) throws -> (channels: Int, imageSize: Int) {
        guard store.contains("embeddings.patch_embeddings.projection.weight") else {
            throw InferenceError.unsupported(source: source, message: "synthetic calibration data is for ViT image models only (random token sequences did not help the BERT samples); give --data with real inputs")
        }
        let config = try ViTConfiguration(json: store.configJSON, source: source)
        return (config.channels, config.imageSize)
    }

    /// `count × channels × imageSize × imageSize` standard-normal values (Box–Muller on a
    /// SplitMix64 stream from `seed`: the same values on every machine).
    public static func noiseImages(count: Int, channels: Int, imageSize: Int, seed: UInt64) -> [Float] {
        var state = seed
        func next() -> Double {  // uniform in (0, 1)
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return (Double(z >> 11) + 0.5) / Double(1 << 53)
        }
        let total = count * channels * imageSize * imageSize
        var values = [Float](repeating: 0, count: total)
        var k = 0
        while k < total {
            let r = (-2 * Foundation.log(next())).squareRoot(), theta = 2 * Double.pi * next()
            values[k] = Float(r * Foundation.cos(theta))
            if k + 1 < total { values[k + 1] = Float(r * Foundation.sin(theta)) }
            k += 2
        }
        return values
    }

    /// Writes `count` noise images for a model of input shape `(channels, imageSize)` to `path`
    /// in the dataset format ``EvalDataset/read(_:limit:)`` reads (`images` float32
    /// `[count, C, H, W]`, `labels` all 0, task `image-classification`).
    public static func writeNoiseImages(count: Int, channels: Int, imageSize: Int, seed: UInt64, to path: String) throws {
        let file = try HDF5File.create(path)
        let root = try file.root()
        try root.createDataset("images", type: HDF5Datatype.native(.float32), shape: [count, channels, imageSize, imageSize])
            .write(noiseImages(count: count, channels: channels, imageSize: imageSize, seed: seed))
        try root.createDataset("labels", type: HDF5Datatype.native(.int64), shape: [count])
            .write([Int64](repeating: 0, count: count))
        try root.writeString("image-classification", attribute: "task")
        try root.writeString("synthetic calibration: \(count) images of standard-normal noise in the model's input space (SplitMix64 seed \(seed), Box-Muller); labels are placeholders", attribute: "description")
    }
}
