import Foundation
import Testing

/// `transfuse sweep` on the bundled digit ViTs, run as a user would, against `transfuse fuse --eval`.
@Suite struct SweepCommandTests {
    static let a = SampleModels.path("vit-digits-a")
    static let b = SampleModels.path("vit-digits-b")
    static let calib = SampleModels.path("data/digits-calib.h5")
    static let test = SampleModels.path("data/digits-test.h5")

    func sweep(_ models: [String], grid: String?, folder: TemporaryFolder, json: Bool = true) throws -> CommandRunner.Result {
        var arguments = ["sweep"] + models + ["--data", Self.calib, "--eval", Self.test]
        if let grid {
            try grid.write(toFile: folder.file("grid.yaml"), atomically: true, encoding: .utf8)
            arguments += ["--grid", folder.file("grid.yaml")]
        }
        return try CommandRunner.run(arguments + (json ? ["--json"] : []))
    }

    func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Every row equals what `fuse --eval --json` reports for the same settings, passed to `fuse`
    /// as a config made from the row's resolved options.
    @Test func rowsEqualFuseEval() throws {
        let folder = try TemporaryFolder()
        let result = try sweep([Self.a, Self.b], grid: """
            vary:
              resid_policy: [no_resid]
              anchor: [1]
              acts_sinkhorn:
                - {type: acts, ot_solver: sinkhorn, sinkhorn_reg: 0.05}
              compat: [reference]
              repair: [false, true]
            """, folder: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try object(result.stdout)
        let rows = try #require(report["settings"] as? [[String: Any]])
        // One of repair=false / repair=true is the default's own setting, run once.
        let labels = rows.map { $0["setting"] as? String ?? "" }
        #expect(Array(labels.prefix(8)) == [Self.a, Self.b, "vanilla", "default", "resid_policy=no_resid", "anchor=1",
                                            "type=acts ot_solver=sinkhorn sinkhorn_reg=0.05", "compat=reference"])
        #expect(labels.count == 9 && ["repair=false", "repair=true"].contains(labels[8]), "\(labels)")
        #expect((report["skipped"] as? [[String: String]])?.count == 1)
        #expect(result.stderr.contains("[5/9] resid_policy=no_resid"), "progress names each setting")

        var fusedAccuracies: [Double] = []
        for (i, row) in rows.enumerated() where row["role"] as? String == "fused" {
            var options = try #require(row["options"] as? [String: Any])
            let anchor = try #require(options.removeValue(forKey: "anchor") as? Int)
            options["method"] = nil
            let config = folder.file("config\(i).yaml")
            // JSON is YAML: the resolved options are a fusion: section as they stand.
            let section = String(decoding: try JSONSerialization.data(withJSONObject: options), as: UTF8.self)
            try "fusion: \(section)\n".write(toFile: config, atomically: true, encoding: .utf8)
            let fuse = try CommandRunner.run(["fuse", Self.a, Self.b, "--config", config, "--anchor", "\(anchor)",
                                              "--data", Self.calib, "--eval", Self.test, "--json",
                                              "--output", folder.file("fused\(i).safetensors")])
            #expect(fuse.status == 0, "\(fuse.stderr)")
            let entries = try #require(try object(fuse.stdout)["models"] as? [[String: Any]])
            func entry(_ role: String) -> [String: Any]? { entries.first { $0["role"] as? String == role } }
            let fused = try #require(entry("fused"))
            #expect(row["accuracy"] as? Double == fused["accuracy"] as? Double, "\(row["setting"] ?? "")")
            #expect(row["loss"] as? Double == fused["loss"] as? Double, "\(row["setting"] ?? "")")
            #expect(row["samples"] as? Int == 397)
            fusedAccuracies.append(try #require(row["accuracy"] as? Double))
            if row["setting"] as? String == "default" {
                // The default row is what `fuse` does without a config (its defaults for the family and data).
                let plain = try CommandRunner.run(["fuse", Self.a, Self.b, "--data", Self.calib, "--eval", Self.test, "--json",
                                                   "--output", folder.file("plain.safetensors")])
                #expect(plain.status == 0, "\(plain.stderr)")
                let models = try #require(try object(plain.stdout)["models"] as? [[String: Any]])
                let fusedPlain = try #require(models.first { $0["role"] as? String == "fused" })
                #expect(row["accuracy"] as? Double == fusedPlain["accuracy"] as? Double)
                #expect(row["loss"] as? Double == fusedPlain["loss"] as? Double)
            }
            if i == 3 {
                // The baselines too: parents in model order, then the vanilla average.
                let parents = entries.filter { $0["role"] as? String == "parent" }
                #expect(rows[0]["accuracy"] as? Double == parents[0]["accuracy"] as? Double)
                #expect(rows[1]["accuracy"] as? Double == parents[1]["accuracy"] as? Double)
                #expect(rows[2]["accuracy"] as? Double == entry("vanilla")?["accuracy"] as? Double)
                #expect(rows[2]["loss"] as? Double == entry("vanilla")?["loss"] as? Double)
            }
        }
        #expect(fusedAccuracies.count == 6)
        // The repaired row (the default's or repair=true) ran the correction.
        let repaired = try #require(rows.first { (($0["options"] as? [String: Any])?["repair"] as? [String: Any]) != nil })
        let repair = try #require((repaired["options"] as? [String: Any])?["repair"] as? [String: Any])
        #expect(repair["sites"] as? [String] == ["mlp", "attention", "stream"])
        #expect((repaired["seconds"] as? [String: Double])?["repair"] ?? 0 > 0)
        // Not all the same: the settings do reach the fuser.
        #expect(Set(fusedAccuracies).count > 1)
    }

    @Test func jsonShape() throws {
        let folder = try TemporaryFolder()
        let result = try sweep([Self.a, Self.b], grid: "vary:\n  qk_fusion: [separate, joint]\n", folder: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try object(result.stdout)
        #expect(report["models"] as? [String] == [Self.a, Self.b])
        #expect(report["data"] as? String == Self.calib && report["eval"] as? String == Self.test)
        #expect(report["task"] as? String == "image-classification")
        #expect(report["grid"] as? String == folder.file("grid.yaml"))
        let timings = try #require(report["timings"] as? [String: Double])
        #expect(Set(timings.keys) == ["loading", "activations", "total"])
        let skipped = try #require(report["skipped"] as? [[String: String]])
        #expect(skipped == [["setting": "qk_fusion=separate", "same_as": "default"]])
        let rows = try #require(report["settings"] as? [[String: Any]])
        #expect(rows.map { $0["role"] as? String } == ["parent", "parent", "vanilla", "fused", "fused"])
        for row in rows {
            #expect(row["accuracy"] is Double && row["loss"] is Double && row["samples"] as? Int == 397)
            #expect(row["perplexity"] == nil, "perplexity only for masked LM")
            #expect(row["error"] == nil)
            let seconds = try #require(row["seconds"] as? [String: Double])
            #expect(Set(seconds.keys) == ["activations", "fusion", "transport", "repair", "evaluation"])
            #expect(seconds.values.allSatisfy { $0 >= 0 })
        }
        #expect(rows[0]["options"] == nil, "a parent has no fusion options")
        #expect((rows[2]["options"] as? [String: Any])?["method"] as? String == "vanilla")
        let joint = try #require(rows[4]["options"] as? [String: Any])
        #expect(joint["qk_fusion"] as? String == "joint" && joint["type"] as? String == "wts" && joint["anchor"] as? Int == 0)
        #expect(rows[4]["assignments"] as? [String: String] == ["qk_fusion": "joint"])
    }

    @Test func failedSettingsAreReportedInTheirRows() throws {
        let folder = try TemporaryFolder()
        let narrow = SampleModels.path("vit-digits-narrow")
        // The narrow model has other widths: vanilla averaging (equal shapes only) fails, OT does not.
        let grid = "vary:\n  qk_fusion: [joint]\n"
        let result = try sweep([Self.a, narrow], grid: grid, folder: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try #require(try object(result.stdout)["settings"] as? [[String: Any]])
        #expect(rows.count == 5)
        let vanilla = try #require(rows.first { $0["role"] as? String == "vanilla" })
        let error = try #require(vanilla["error"] as? String)
        #expect(error.contains("equal shapes"), "\(error)")
        #expect(vanilla["accuracy"] == nil)
        #expect(rows.filter { $0["error"] == nil }.count == 4, "the other settings still run")
        // The table shows the error in the failed row.
        let table = try sweep([Self.a, narrow], grid: grid, folder: folder, json: false)
        #expect(table.status == 0, "\(table.stderr)")
        let line = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix("vanilla") })
        #expect(line.contains("equal shapes"), "\(table.stdout)")
    }

    @Test func badGridIsRefusedBeforeAnyWork() throws {
        let folder = try TemporaryFolder()
        let result = try sweep([Self.a, Self.b], grid: "vary:\n  qk_fusion: [joint]\n  resid_polcy: [mean]\n", folder: folder)
        #expect(result.status != 0)
        #expect(result.stderr.contains("resid_polcy"), "\(result.stderr)")
        #expect(!result.stderr.contains("[1/"), "nothing ran: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    /// A ViT and a BERT are refused as `fuse` refuses them (family, both models named), before
    /// the datasets are read and before the settings that would need --data are mentioned.
    @Test func modelsThatCannotBeFusedAreRefusedFirst() throws {
        let bert = SampleModels.path("bert-mlm-b")
        let result = try CommandRunner.run(["sweep", Self.a, bert, "--eval", Self.test])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("models cannot be fused") && result.stderr.contains("family")
                && result.stderr.contains(bert) && result.stderr.contains(Self.a), "\(result.stderr)")
        #expect(!result.stderr.contains("--data") && !result.stderr.contains("[1/") && result.stdout.isEmpty, "\(result.stderr)")
    }

    @Test func activationSettingsNeedData() throws {
        let result = try CommandRunner.run(["sweep", Self.a, Self.b, "--eval", Self.test])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--data"), "\(result.stderr)")
    }
}
