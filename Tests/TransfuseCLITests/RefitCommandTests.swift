import Foundation
import Testing

/// `transfuse fuse --refit CALIB.h5`, the ViT data default's refit, `--no-refit` and the `refit:`
/// config key, on the bundled digit ViTs.
@Suite struct RefitCommandTests {
    static let calib = SampleModels.path("data/digits-calib.h5")

    /// With `--data` the refit is on by default: measured 95.0 % one-shot (200 calibration
    /// images), 96.5 % with `--refit-samples 300`, against 72.0 % with `--no-refit`.
    @Test func dataDefaultRefitsAndNoRefitTurnsItOff() throws {
        let folder = try TemporaryFolder()
        let refitted = try RepairCommandTests.fusedAccuracy(["--data", Self.calib], folder: folder)
        let off = try RepairCommandTests.fusedAccuracy(["--data", Self.calib, "--no-refit"], folder: folder)
        let more = try RepairCommandTests.fusedAccuracy(["--data", Self.calib, "--refit-samples", "300", "--refit-ridge", "1e-3"], folder: folder)
        #expect(refitted > 0.93 && refitted > off + 0.15, "refitted \(refitted), --no-refit \(off)")
        #expect(more > 0.95, "--refit-samples 300: \(more)")
        // The config key asks for the same refit as the default, on --data's file.
        let config = folder.file("refit.yaml")
        try "fusion:\n  refit: {ridge: 0.001}\n".write(toFile: config, atomically: true, encoding: .utf8)
        let keyed = try RepairCommandTests.fusedAccuracy(["--config", config, "--data", Self.calib], folder: folder)
        #expect(keyed == refitted)
        // Without --data: weights + EMD, then the refit on --refit's file (the data-aware defaults apply).
        let alone = try RepairCommandTests.fusedAccuracy(["--refit", Self.calib], folder: folder)
        #expect(alone == refitted)
    }

    @Test func usageErrorsNameTheFlags() throws {
        let folder = try TemporaryFolder()
        let base = ["fuse", SampleModels.path("vit-digits-a"), SampleModels.path("vit-digits-b"), "--output", folder.file("never.safetensors")]
        for (extra, mention) in [(["--refit-ridge", "0.01"], "--refit-ridge"), (["--refit", Self.calib, "--no-refit"], "--no-refit"),
                                 (["--data", Self.calib, "--refit-ridge", "0"], "--refit-ridge 0.0"),
                                 (["--data", Self.calib, "--refit-samples", "0"], "--refit-samples 0")] {
            let result = try CommandRunner.run(base + extra)
            #expect(result.status != 0, "\(extra): accepted")
            #expect(result.stderr.contains(mention), "\(extra): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: folder.file("never.safetensors")))
        }
        // A token file cannot calibrate a ViT: refused before any fusion, naming the file.
        let wrong = SampleModels.path("data/bert-calib.h5")
        let refused = try CommandRunner.run(base + ["--refit", wrong])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains(wrong), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("never.safetensors")))
        // With REPAIR on --data's good file, the message blames the refit's file, not REPAIR.
        let beside = try CommandRunner.run(base + ["--data", Self.calib, "--refit", wrong])
        #expect(beside.status == 1 && beside.stderr.contains("refit: ") && !beside.stderr.contains("repair: "), "\(beside.stderr)")
        #expect(beside.stderr.contains(wrong) && beside.stderr.contains("vit-digits-a"), "\(beside.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("never.safetensors")))
    }
}
