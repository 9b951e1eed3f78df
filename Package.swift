// swift-tools-version:6.0
// Transfuse: checkpoint conversion, inspection and Optimal-Transport fusion of transformers.
import PackageDescription

let package = Package(
    name: "Transfuse",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "transfuse", targets: ["transfuse"]),
        .library(name: "WeightStore", targets: ["WeightStore"]),
        .library(name: "Checkpoints", targets: ["Checkpoints"]),
        .library(name: "Transport", targets: ["Transport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // MARK: - C libraries (the only places that include C headers)
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CDeflate", providers: [.apt(["zlib1g-dev"])]),

        // MARK: - Storage
        .target(name: "WeightStore"),
        .target(name: "HDF5Kit", dependencies: ["CHDF5"]),
        .target(name: "SafeTensors", dependencies: ["WeightStore"]),
        .target(name: "HDF5Checkpoint", dependencies: ["WeightStore", "HDF5Kit"]),
        .target(name: "NPZ", dependencies: ["WeightStore", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .target(name: "Checkpoints", dependencies: ["WeightStore", "SafeTensors", "HDF5Checkpoint", "NPZ"]),

        // MARK: - Naming schemes (rule files under Converters/ and Schemas/ are data)
        .target(name: "NamingSchemes", dependencies: ["WeightStore", "CanonicalLayouts", "ConverterRules"]),
        .target(name: "CanonicalLayouts", path: "Schemas", exclude: ["README.md", "HDF5-LAYOUT.md", "ACTIVATIONS.md"],
                resources: [.copy("vit.json"), .copy("bert.json")]),
        .target(name: "ConverterRules", dependencies: ["CanonicalLayouts"], path: "Converters", exclude: ["README.md"],
                resources: [.copy("canonical.json"), .copy("hf-vit.json"), .copy("timm-vit.json"), .copy("google-vit.json"),
                            .copy("hf-bert.json"), .copy("tf-bert.json"), .copy("keras-hub-bert.json")]),

        // MARK: - Optimal transport
        .target(name: "Transport", dependencies: ["CBLAS"]),

        // MARK: - Inference (ViT / BERT forward passes from the canonical layout)
        .target(name: "Inference", dependencies: ["WeightStore", "CBLAS", "HDF5Kit", "Transport"]),

        // MARK: - Fusion (OT fusion of ViT / BERT models through the canonical layout)
        .target(name: "Fusion", dependencies: ["WeightStore", "Transport", "NamingSchemes", "Inference", "CDeflate",
                                               .product(name: "Yams", package: "Yams")]),

        // MARK: - Command line
        .target(name: "TransfuseCLI", dependencies: [
            "WeightStore", "Checkpoints", "NamingSchemes", "Transport", "HDF5Kit", "Inference", "Fusion",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "transfuse", dependencies: ["TransfuseCLI"]),
        // libFuzzer target for the safetensors header parser: `make fuzz`.
        .executableTarget(name: "SafeTensorsFuzzer", dependencies: ["SafeTensors", "WeightStore"]),
        // Times the Transport solvers on problems written by Benchmarks/transport/bench_pot.py.
        .executableTarget(name: "TransportBench", dependencies: ["Transport"], path: "Benchmarks/TransportBench"),
        // Times the ViT / BERT forward passes against PyTorch (Benchmarks/inference/run.sh).
        .executableTarget(name: "InferenceBench", dependencies: ["Inference", "Transport", "WeightStore"], path: "Benchmarks/inference/InferenceBench"),

        // MARK: - Tests
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "WeightStoreTests", dependencies: ["WeightStore", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "WeightStore", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "HDF5CheckpointTests", dependencies: ["HDF5Checkpoint", "HDF5Kit", "WeightStore", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "WeightStore"]),
        .testTarget(name: "NamingSchemesTests", dependencies: ["NamingSchemes", "NPZ", "Checkpoints", "WeightStore"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "Checkpoints", "WeightStore", "HDF5Kit"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "FusionTests", dependencies: ["Fusion", "Checkpoints", "NamingSchemes", "Transport", "Inference", "WeightStore", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "TransfuseCLITests", dependencies: ["TransfuseCLI", "Checkpoints", "WeightStore", "HDF5Kit", "Inference"]),
    ]
)
