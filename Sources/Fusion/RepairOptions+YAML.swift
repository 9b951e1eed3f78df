import Foundation

extension ConfigReader {
    /// The `fusion.repair` key (Transfuse): `true` / `false`, or a mapping with `sites`
    /// (a list or a comma-separated string of `mlp`, `attention`, `stream`, `norm`), `mean_only`
    /// (bool), `num_samples` (positive integer) and `max_stream_scale` (number ≥ 1).
    /// `true` means the defaults of ``RepairOptions``; the calibration inputs are `--data`'s
    /// file unless `--repair CALIB.h5` names one.
    func repair(_ v: Any, _ path: String) throws -> RepairOptions? {
        if let on = v as? Bool { return on ? RepairOptions() : nil }
        guard let m = v as? [String: Any] else {
            throw fail(path, "expected true, false or a mapping (sites, mean_only, num_samples, max_stream_scale), found '\(v)'")
        }
        var options = RepairOptions()
        for (key, w) in m.sorted(by: { $0.key < $1.key }) {
            let keyPath = path + "." + key
            switch key {
            case "sites":
                let text = (w as? [Any]).map { $0.map { "\($0)" }.joined(separator: ",") } ?? "\(w)"
                guard let sites = RepairOptions.parseSites(text) else {
                    throw fail(keyPath, "'\(text)' is not a list of mlp, attention, stream, norm")
                }
                options.sites = sites
            case "mean_only": options.matchSpread = !(try bool(w, keyPath))
            case "num_samples":
                let n = try number(w, keyPath)
                guard n >= 1, n == n.rounded(), n < 1e9 else { throw fail(keyPath, "must be a positive integer, found \(w)") }
                options.numSamples = Int(n)
            case "max_stream_scale":
                let x = try number(w, keyPath)
                guard x >= 1, x.isFinite else { throw fail(keyPath, "must be a number >= 1, found \(w)") }
                options.maxStreamScale = x
            default:
                throw fail(keyPath, "unknown key (repair has: sites, mean_only, num_samples, max_stream_scale)")
            }
        }
        return options
    }
}
