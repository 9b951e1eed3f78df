import ArgumentParser
import Checkpoints
import Foundation
import NamingSchemes
import WeightStore

/// `transfuse convert`: any readable format to any writable one.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a checkpoint to another format (chosen by OUTPUT's extension).",
        discussion: """
            OUTPUT formats: .safetensors, .h5/.hdf5 (Transfuse's HDF5 layout, readable with plain \
            h5py; see Schemas/HDF5-LAYOUT.md), or a path without extension for a Hugging Face \
            folder (config.json + model.safetensors, or shards with --shard-size). Tensors are \
            copied bit for bit unless --dtype is given; the output appears only when complete.

            With --scheme, tensor names and layouts are rewritten into another naming scheme \
            (canonical, hf-vit, timm-vit, hf-bert, tf-bert, keras-hub-bert, …: see \
            Converters/README.md); converting to canonical and back restores the original \
            names and bytes exactly. Without it, names are kept as they are.

            Examples:
              transfuse convert model.safetensors model.h5 --compress
              transfuse convert timm-vit.safetensors ./hf-vit --scheme hf-vit
              transfuse convert bert.safetensors bert-canonical.h5 --scheme canonical
              transfuse convert model.h5 out/model-f16.safetensors --dtype f16
              transfuse convert big.safetensors ./big-sharded --shard-size 2GB
            """
    )

    @Argument(help: "The checkpoint to read (any format `inspect` reads).")
    var input: String

    @Argument(help: "Where to write: .safetensors, .h5, .hdf5, or a folder path without extension.")
    var output: String

    @Option(help: "Cast floating-point tensors to f32, f16, bf16 or f64 (rounding to nearest even); integer tensors are kept.")
    var dtype: String?

    @Flag(help: "Replace OUTPUT if it exists.")
    var force = false

    @Flag(help: "Compress HDF5 output with gzip + shuffle.")
    var compress = false

    @Option(name: .customLong("shard-size"), help: "Split a folder output into safetensors shards of at most this size (decimal units as Hugging Face: 500MB, 2GB; or 1GiB).")
    var shardSize: String?

    @Option(help: "Rewrite names into this naming scheme (e.g. canonical, hf-bert, tf-bert, timm-vit, hf-vit).")
    var scheme: String?

    @OptionGroup var schemeOptions: SchemeOptions

    func validate() throws {
        if let dtype, DType(tag: dtype)?.isFloatingPoint != true {
            throw ValidationError("--dtype must be one of f32, f16, bf16, f64 (got '\(dtype)')")
        }
        if let shardSize {
            do { _ = try ByteSize.parse(shardSize) } catch { throw ValidationError("--shard-size: \(error)") }
        }
        let same = URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath()
            == URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath()
        if same { throw ValidationError("OUTPUT is the same path as INPUT; Transfuse never writes over its input") }
    }

    func run() throws {
        let started = Date()
        var store = try Checkpoint.read(input)
        if let scheme {
            store = try SchemeConverter.convert(store, to: scheme, heads: schemeOptions.heads,
                                                registry: schemeOptions.registry())
        }
        if let dtype, let target = DType(tag: dtype) {
            store = try store.mapTensors { try $0.lazilyCastingFloat(to: target) }
        }
        let progress = ProgressBar(label: "writing \(output)")
        let options = WriteOptions(force: force, compress: compress,
                                   maxShardSize: try shardSize.map(ByteSize.parse),
                                   progress: progress.handler)
        try Checkpoint.write(store, to: output, options: options)
        progress.finish()
        let seconds = String(format: "%.2f", Date().timeIntervalSince(started))
        StandardError.line("wrote \(output): \(store.count) tensors, \(ByteSize.format(store.byteCount)) in \(seconds) s")
    }
}
