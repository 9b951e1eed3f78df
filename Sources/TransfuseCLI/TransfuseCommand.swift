import ArgumentParser
import Transport
import WeightStore

/// The `transfuse` command: a thin layer over the library modules.
public struct TransfuseCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "transfuse",
        abstract: "Convert, inspect, compare, evaluate and fuse transformer checkpoints.",
        discussion: """
            Reads safetensors (single, sharded, Hugging Face folders), HDF5 (Transfuse's layout, \
            flat and nested h5py layouts, Keras .h5 and .weights.h5) and .npz; writes safetensors, \
            HDF5 and Hugging Face folders. Every output is written to a temporary file and renamed \
            only when complete.

            Examples:
              transfuse inspect model.safetensors
              transfuse convert model.safetensors model.h5 --compress
              transfuse diff a.safetensors b.h5 --atol 1e-6
              transfuse fuse a b --output fused --eval test.h5
              transfuse eval fused --data test.h5
              transfuse sweep a b --data calib.h5 --eval test.h5
            """,
        version: "0.1.0",
        subcommands: [InspectCommand.self, ConvertCommand.self, DiffCommand.self, FuseCommand.self,
                      EvalCommand.self, ActivationsCommand.self, OTCommand.self, SweepCommand.self]
    )

    public init() {}

    /// Entry point of the executable: restarts itself when OpenBLAS fell back to its oldest
    /// kernels (``BLASKernelChoice``), tunes the allocator, installs interrupt clean-up, then
    /// parses and runs.
    public static func start() {
        BLASKernelChoice.restartIfFallbackKernels()
        MemoryTuning.apply()
        TemporaryOutputs.installInterruptCleanup()
        main()
    }
}
