import Checkpoints
import Fusion
import NamingSchemes
import WeightStore

extension FuseCommand {
    /// Whether OUTPUT is written while the layers are fused (a single safetensors file or an
    /// unsharded folder, no post-correction that needs the whole fused store).
    func canStream(repairing: Bool) -> Bool {
        !repairing && Checkpoint.canStream(to: output)
    }

    /// Fuses `inputs` and writes OUTPUT in scheme `target` tensor by tensor, each output tensor
    /// as soon as its layer is fused, so that memory holds a layer rather than the fused model
    /// (the bytes are those `Fuser.fuse` + `Checkpoint.write` give). All-or-nothing: nothing
    /// is left at OUTPUT when the fusion or the writing fails.
    /// - Returns: the fusion's summary and the number of tensors written.
    func fuseStreaming(_ inputs: [FusionInput], options: FusionOptions, target: String, heads: Int?,
                       registry: SchemeRegistry, keepMaps: Bool) throws -> (summary: FusionSummary, tensors: Int) {
        let fused = try FusedOutput(anchor: inputs[options.anchor].model, scheme: target, heads: heads, registry: registry)
        var summary: FusionSummary?
        try Checkpoint.writeStreaming(template: fused.template, to: output, options: WriteOptions(force: force)) { stream in
            summary = try Fuser.stream(inputs, options: options, keepMaps: keepMaps, progress: { StandardError.line($0) },
                                       into: fused, write: stream.write)
        }
        guard let summary else { throw FusionError.invalidArguments("the fusion of \(output) did not run") }
        return (summary, fused.template.count)
    }

    /// The fused model as written to OUTPUT, in the canonical layout (for `--eval` after a
    /// streamed write): read back, mapped, instead of kept in memory.
    func readBackOutput(registry: SchemeRegistry) throws -> WeightStore {
        try SchemeConverter.toCanonical(try Checkpoint.read(output), heads: schemeOptions.heads, registry: registry).store
    }
}
