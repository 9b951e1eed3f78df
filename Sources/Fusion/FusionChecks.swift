import Foundation
import NamingSchemes
import Transport
import WeightStore

/// Checks run before any fusion work: the models fit together and hold finite weights.
enum FusionChecks {
    /// Same family, depth and head count (and vocabulary, positions, token types for BERT;
    /// patch size, channels and token count for ViT; the same task head and label count).
    static func compatible(_ inputs: [FusionInput], options: FusionOptions) throws {
        let anchor = inputs[options.anchor]
        let a = anchor.model.architecture
        for (k, input) in inputs.enumerated() where k != options.anchor {
            let b = input.model.architecture
            func differ(_ what: String, _ x: String, _ y: String, hint: String = "") -> FusionError {
                .incompatibleModels("\(what): \(y) in \(input.label) (model \(k)) but \(x) in the anchor \(anchor.label) (model \(options.anchor))\(hint.isEmpty ? "" : "; " + hint)")
            }
            guard a.family == b.family else { throw differ("family", a.family.rawValue, b.family.rawValue) }
            guard a.layers == b.layers else {
                throw differ("depth", "\(a.layers) layers", "\(b.layers) layers", hint: "models of different depth cannot be fused")
            }
            if a.heads != b.heads || (options.method == .ot && a.heads == nil) {
                throw differ("attention heads", a.heads.map(String.init) ?? "unknown", b.heads.map(String.init) ?? "unknown",
                             hint: "head counts must match (give --heads when the config does not say)")
            }
            guard a.head == b.head else { throw differ("task head", a.head.rawValue, b.head.rawValue) }
            if a.labels != b.labels { throw differ("labels", a.labels.map(String.init) ?? "none", b.labels.map(String.init) ?? "none") }
            switch a.family {
            case .bert:
                if a.vocab != b.vocab { throw differ("vocabulary", "\(a.vocab ?? 0) tokens", "\(b.vocab ?? 0) tokens") }
                if a.positions != b.positions { throw differ("positions", "\(a.positions ?? 0)", "\(b.positions ?? 0)") }
                if a.typeVocab != b.typeVocab { throw differ("token types", "\(a.typeVocab ?? 0)", "\(b.typeVocab ?? 0)") }
            case .vit:
                if a.patch != b.patch { throw differ("patch size", "\(a.patch ?? 0)", "\(b.patch ?? 0)") }
                if a.channels != b.channels { throw differ("image channels", "\(a.channels ?? 0)", "\(b.channels ?? 0)") }
                if a.imagePositions != b.imagePositions {
                    throw differ("tokens (patches + class token)", "\(a.imagePositions ?? 0)", "\(b.imagePositions ?? 0)")
                }
            }
            if a.hasPooler != b.hasPooler { throw differ("pooler", a.hasPooler ? "present" : "absent", b.hasPooler ? "present" : "absent") }
        }
    }

    /// Every floating-point tensor of every model is finite.
    static func finite(_ inputs: [FusionInput]) throws {
        let items = inputs.flatMap { input in
            input.model.store.tensors.filter(\.dtype.isFloatingPoint).map { (label: input.label, tensor: $0) }
        }
        // Slices of mapped files may be read from several threads at once (libhdf5 may not):
        // then two bands of about equal size, each stopping at its first finding, band 0's first.
        let parallel = items.allSatisfy { $0.tensor.source is MappedTensorSource }
        let sizes = items.map { $0.tensor.elementCount }
        let half = sizes.reduce(0, +) / 2
        var cut = 0, running = 0
        while parallel, cut < items.count, running + sizes[cut] <= half { running += sizes[cut]; cut += 1 }
        let bands = parallel ? [0..<cut, cut..<items.count] : [0..<items.count]
        // Each band writes only its own slot.
        var findings = [Error?](repeating: nil, count: bands.count)
        findings.withUnsafeMutableBufferPointer { findings in
            let findings = findings.baseAddress!
            forEachBand(rows: bands.count, elements: parallel ? sizes.reduce(0, +) : 0) { range in
                for b in range {
                    for k in bands[b] {
                        do {
                            if let bad = try items[k].tensor.firstNonFinite() {
                                findings[b] = FusionError.nonFinite(model: items[k].label, tensor: items[k].tensor.name,
                                                                    index: bad.index, value: bad.value)
                                break
                            }
                        } catch {
                            findings[b] = error
                            break
                        }
                        items[k].tensor.source.release()
                    }
                }
            }
        }
        if let first = findings.lazy.compactMap({ $0 }).first { throw first }
    }
}
