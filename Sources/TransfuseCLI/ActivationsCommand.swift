import ArgumentParser
import Checkpoints
import Foundation
import Inference
import NamingSchemes
import WeightStore

/// `transfuse activations`: record a model's module outputs on a dataset for activation-based fusion.
struct ActivationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activations",
        abstract: "Record a ViT or BERT model's activations on a dataset (for activation-based fusion).",
        discussion: """
            Runs the model on the first --num-samples inputs of the dataset and writes one float32 \
            dataset [samples, width] per module (the outputs of every linear layer, the MLP's first \
            layer before GELU, the attention block, the embeddings, the patch projection), named by \
            canonical module name, tokens flattened into samples. Layout: Schemas/ACTIVATIONS.md. \
            The model may be in any format and naming scheme; `fuse --activations` reads the file.

            Examples:
              transfuse activations vit.safetensors --data digits.h5 --output vit-acts.h5
              transfuse activations bert/ --data wiki.h5 --output acts.h5 --num-samples 50 --normalize none
            """
    )

    @Argument(help: "The model (any format; any supported naming scheme; config.json beside it or inside).")
    var model: String

    @Option(help: "The dataset (HDF5: images + labels, or input_ids [+ attention_mask] + labels).")
    var data: String

    @Option(help: "The activations file to write (HDF5).")
    var output: String

    @Option(help: "Inputs to run, the first ones in file order.")
    var numSamples: Int = 200

    @Option(help: "Tokens kept: all, only_cls, or window_N (class token + centre N×N patches, ViT).")
    var seqFilter: String = "all"

    @Option(help: "Per-neuron transform: standardize, center, l2 or none.")
    var normalize: String = "standardize"

    @Option(help: "Samples per forward batch.")
    var batch: Int = 32

    @OptionGroup var schemeOptions: SchemeOptions

    @Flag(help: "Overwrite the output if it exists.")
    var force = false

    func validate() throws {
        guard numSamples > 0 else { throw ValidationError("--num-samples must be positive") }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        guard SequenceFilter(name: seqFilter) != nil else {
            throw ValidationError("--seq-filter must be all, only_cls or window_N (N ≥ 1), not '\(seqFilter)'")
        }
        guard ActivationNormalization(rawValue: normalize) != nil else {
            throw ValidationError("--normalize must be standardize, center, l2 or none, not '\(normalize)'")
        }
    }

    func run() throws {
        let registry = try schemeOptions.registry()
        let runner = try InferenceModels.load(model, heads: schemeOptions.heads, registry: registry)
        let dataset = try EvalDataset.read(data, limit: numSamples)
        let options = ActivationOptions(numSamples: numSamples, sequenceFilter: SequenceFilter(name: seqFilter)!,
                                        normalization: ActivationNormalization(rawValue: normalize)!, batchSize: batch)
        let started = Date()
        let names = try ActivationFile.write(model: runner, dataset: dataset, source: model, options: options,
                                             to: output, force: force) { StandardError.line("activations: \($0)") }
        StandardError.line(String(format: "wrote %d modules of %d samples to %@ in %.1f s", names.count, dataset.count,
                                  output, Date().timeIntervalSince(started)))
    }
}

/// Loading a model in any format and scheme as a runnable canonical model.
enum InferenceModels {
    /// Reads `path`, converts it to the canonical layout and builds the forward pass.
    static func load(_ path: String, heads: Int?, registry: SchemeRegistry) throws -> TransformerModel {
        let canonical = try SchemeConverter.toCanonical(try Checkpoint.read(path), heads: heads, registry: registry)
        return try TransformerModel(store: canonical.store, source: path, heads: heads)
    }
}
