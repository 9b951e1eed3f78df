import Foundation
import Transport
import WeightStore

/// Writing transport maps: as one store (`--save-maps`) and as PNG heatmaps (`--plot-maps`).
public enum MapExport {
    /// The maps as f32 tensors `[n0, n1]` (reference scaling `n0 · P`), named by their place in
    /// the flow graph (`model1/encoder.layer.0.intermediate.dense`).
    public static func store(_ maps: [(name: String, map: TransportMap)]) throws -> WeightStore {
        var tensors: [Tensor] = []
        var seen: Set<String> = []
        for (name, map) in maps where seen.insert(name).inserted {
            tensors.append(try Tensor.fromFloats(name: name, shape: [map.matrix.rows, map.matrix.cols],
                                                 values: map.matrix.storage.narrowedToFloat()))
        }
        return try WeightStore(tensors: tensors, metadata: ["transfuse.content": "transport maps (rows: model channels, columns: anchor channels; n0 * plan)"])
    }

    /// One PNG per map in `directory` (created if missing), file names from the map names
    /// (`/` → `__`). Large maps are drawn one pixel per entry, small ones enlarged.
    /// - Returns: the files written.
    @discardableResult
    public static func plot(_ maps: [(name: String, map: TransportMap)], to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var written: [String] = []
        var seen: Set<String> = []
        for (name, map) in maps where seen.insert(name).inserted {
            let m = map.matrix
            let scale = max(1, min(8, 512 / max(m.rows, m.cols, 1)))
            let png = try PNGWriter.heatmap(rows: m.rows, cols: m.cols, values: m.storage, scale: scale)
            let path = directory + "/" + name.replacingOccurrences(of: "/", with: "__") + ".png"
            try png.write(to: URL(fileURLWithPath: path), options: .atomic)
            written.append(path)
        }
        return written
    }
}
