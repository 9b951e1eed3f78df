import Foundation

extension ConfigReader {
    /// The `fusion.refit` key (Transfuse): `true` / `false`, or a mapping with `ridge` (number
    /// > 0), `num_samples` (positive integer) and `classifier` (bool). `true` means the defaults
    /// of ``RefitOptions``; the calibration inputs are `--data`'s file unless `--refit CALIB.h5`
    /// names one.
    func refit(_ v: Any, _ path: String) throws -> RefitOptions? {
        if let on = v as? Bool { return on ? RefitOptions() : nil }
        guard let m = v as? [String: Any] else {
            throw fail(path, "expected true, false or a mapping (ridge, num_samples, classifier), found '\(v)'")
        }
        var options = RefitOptions()
        for (key, w) in m.sorted(by: { $0.key < $1.key }) {
            let keyPath = path + "." + key
            switch key {
            case "ridge":
                let x = try number(w, keyPath)
                guard x > 0, x.isFinite else { throw fail(keyPath, "must be a finite number > 0, found \(w)") }
                options.ridge = x
            case "num_samples":
                let n = try number(w, keyPath)
                guard n >= 1, n == n.rounded(), n < 1e9 else { throw fail(keyPath, "must be a positive integer, found \(w)") }
                options.numSamples = Int(n)
            case "classifier": options.classifier = try bool(w, keyPath)
            default:
                throw fail(keyPath, "unknown key (refit has: ridge, num_samples, classifier)")
            }
        }
        return options
    }
}
