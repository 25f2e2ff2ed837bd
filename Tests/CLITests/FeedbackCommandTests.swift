import Foundation
import TestSupport
import Testing

/// `drillwatch feedback`, run as an analyst runs it: on the alerts of the offline demo.
@Suite struct FeedbackCommands {
    /// A scanned demo in a temporary folder: its configuration and its alerts by title.
    struct Demo {
        let folder: URL
        let config: String
        /// Judgement id by title, from the alert files.
        let alerts: [String: String]

        var jointSea: String { alerts["Chinese and Russian warships begin joint drills in the Sea of Japan"]! }
        var patrol: String { alerts["Chinese and Russian bombers fly joint patrol over the East China Sea"]! }

        func run(_ arguments: [String]) async throws -> CLIRunner.Run {
            try await CLIRunner.run(arguments + ["--config", config])
        }
    }

    /// Both demo feeds scanned once, with a private copy of the corpus (`--to-corpus` writes).
    static func scannedDemo() async throws -> Demo {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-feedback-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: ClassifyCommands.checkout.appendingPathComponent("config/corpus").path,
                                         toPath: folder.appendingPathComponent("corpus").path)
        let feeds = ClassifyCommands.checkout.appendingPathComponent("config/demo/feeds")
        let config = try ClassifyCommands.writeConfig(in: folder, """
            retention_days = 0
            [corpus]
            path = "corpus"
            [[feeds]]
            name = "demo-wire"
            url = "\(feeds.appendingPathComponent("drills-demo.xml").path)"
            [[feeds]]
            name = "demo-asia-desk"
            url = "\(feeds.appendingPathComponent("asia-desk.xml").path)"
            """)
        let scan = try await CLIRunner.run(["scan", "--config", config.path])
        #expect(scan.status == 0, "\(scan.stderr)")
        return Demo(folder: folder, config: config.path, alerts: try alertIDs(in: folder))
    }

    /// Title → id of every alert file under `folder/output/alerts`.
    static func alertIDs(in folder: URL) throws -> [String: String] {
        let root = folder.appendingPathComponent("output/alerts")
        var ids: [String: String] = [:]
        for path in try FileManager.default.subpathsOfDirectory(atPath: root.path) where path.hasSuffix(".json") {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent(path))) as? [String: Any]
            ids[object?["title"] as? String ?? ""] = object?["id"] as? String
        }
        return ids
    }

    @Test func judgeListExportAndEvaluate() async throws {
        let demo = try await Self.scannedDemo()
        defer { try? FileManager.default.removeItem(at: demo.folder) }
        #expect(demo.alerts.count == 2)

        let wrong = try await demo.run(["feedback", demo.jointSea, "--wrong", "--note", "a rerun of last year's story"])
        #expect(wrong.status == 0, "\(wrong.stderr)")
        #expect(wrong.stdout == "alert \(demo.jointSea) judged wrong\n")
        let right = try await demo.run(["feedback", demo.patrol, "--right"])
        #expect(right.status == 0, "\(right.stderr)")

        let list = try await demo.run(["feedback", "list"])
        #expect(list.stdout.hasPrefix("2 judgements\n"))
        #expect(list.stdout.contains("\(demo.jointSea)  wrong"))
        #expect(list.stdout.contains("a rerun of last year's story"))
        let json = try await demo.run(["feedback", "list", "--json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(entries.map { $0["verdict"] as? String } == ["wrong", "right"])

        let file = demo.folder.appendingPathComponent("feedback.jsonl").path
        let export = try await demo.run(["feedback", "export", "--out", file])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.contains("exported 2 judged alerts"))
        let records = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let byID = Dictionary(uniqueKeysWithValues: records.map { ($0["id"] as? String ?? "", $0) })
        let jointSea = try #require(byID[demo.jointSea])
        #expect(jointSea["label"] as? String == "other")
        #expect(jointSea["category"] as? String == "feedback-wrong")
        #expect(jointSea["event"] as? String == "joint-sea-2025")
        #expect(jointSea["published"] as? String == "2025-06-02")
        #expect(jointSea["note"] as? String == "a rerun of last year's story")
        #expect(jointSea["text_origin"] as? String == "drillwatch alert judged by an analyst")
        let patrol = try #require(byID[demo.patrol])
        #expect(patrol["label"] as? String == "drill")
        #expect(patrol["category"] as? String == "cn-ru-patrol")
        #expect(patrol["event"] is NSNull)
        #expect(patrol["note"] is NSNull)
        for key in ["id", "title", "summary", "link", "published", "label", "category", "event", "note", "text_origin"] {
            #expect(records.allSatisfy { $0.keys.contains(key) }, "missing \(key)")
        }

        // "-" is standard output, not a file of that name.
        let piped = try await CLIRunner.run(["feedback", "export", "--out", "-", "--config", demo.config], directory: demo.folder)
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(piped.stdout == (try String(contentsOfFile: file, encoding: .utf8)))
        #expect(!FileManager.default.fileExists(atPath: demo.folder.appendingPathComponent("-").path))

        let eval = try await demo.run(["eval", file])
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(eval.stdout.contains("items      2  (drill 1, other 1)"))
        #expect(eval.stdout.contains("feedback-wrong             1/1"))
    }

    @Test func aSecondJudgementReplacesTheFirstAndSaysSo() async throws {
        let demo = try await Self.scannedDemo()
        defer { try? FileManager.default.removeItem(at: demo.folder) }
        _ = try await demo.run(["feedback", demo.jointSea, "--wrong", "--note", "looked old"])
        let again = try await demo.run(["feedback", demo.jointSea, "--right"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("judged right; this replaces the judgement wrong (looked old) of "))
        let list = try await demo.run(["feedback", "list"])
        #expect(list.stdout.hasPrefix("1 judgement\n"))
        #expect(list.stdout.contains("\(demo.jointSea)  right"))
        #expect(!list.stdout.contains("looked old"))
    }

    @Test func anUnknownIDSaysWhereIDsAre() async throws {
        let demo = try await Self.scannedDemo()
        defer { try? FileManager.default.removeItem(at: demo.folder) }
        let run = try await demo.run(["feedback", "0123456789abcdef", "--wrong"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("alert '0123456789abcdef': no such alert in the state database"), "\(run.stderr)")
        #expect(run.stderr.contains("output/alerts/YYYY/MM/DD/<id>.json"))
        #expect(run.stderr.contains("drillwatch status"))
        // … and `status` does list them.
        let status = try await demo.run(["status"])
        #expect(status.stdout.contains(demo.jointSea) && status.stdout.contains(demo.patrol))
        #expect(try await demo.run(["feedback", "list"]).stdout.hasPrefix("0 judgements"))
    }

    @Test func theDigestMarksAWrongAlert() async throws {
        let demo = try await Self.scannedDemo()
        defer { try? FileManager.default.removeItem(at: demo.folder) }
        _ = try await demo.run(["feedback", demo.jointSea, "--wrong", "--note", "<b>not</b> [new](javascript:x)"])
        _ = try await demo.run(["feedback", demo.patrol, "--right"])
        let digest = try await demo.run(["digest"])
        #expect(digest.status == 0, "\(digest.stderr)")
        #expect(digest.stdout.contains("; 1 alert judged wrong by an analyst"))
        let day = try #require(try FileManager.default.contentsOfDirectory(atPath: demo.folder.appendingPathComponent("output/digests").path)
            .first { $0.hasSuffix(".md") }?.dropLast(3))
        let base = demo.folder.appendingPathComponent("output/digests/\(day)")
        let markdown = try String(contentsOfFile: base.path + ".md", encoding: .utf8)
        #expect(markdown.contains("✗ **judged wrong by an analyst: &lt;b\\>not&lt;/b\\> \\[new\\]\\(javascript:x\\)**"))
        #expect(markdown.contains("✓ **judged right by an analyst**"))
        let html = try String(contentsOfFile: base.path + ".html", encoding: .utf8)
        #expect(html.contains("judged wrong by an analyst: &lt;b&gt;not&lt;/b&gt;"))
        #expect(!html.contains("<b>not</b>"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base.path + ".json"))) as? [String: Any])
        #expect(json["judged_wrong"] as? Int == 1)
    }

    @Test func rightToCorpusAddsTheArticleOnce() async throws {
        let demo = try await Self.scannedDemo()
        defer { try? FileManager.default.removeItem(at: demo.folder) }
        let refused = try await demo.run(["feedback", demo.jointSea, "--wrong", "--to-corpus"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--to-corpus goes with --right"))

        let add = try await demo.run(["feedback", demo.jointSea, "--right", "--to-corpus"])
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stdout.contains("added chinese-and-russian-warships-begin-joint-drills-in-the-sea-o "))
        let file = demo.folder.appendingPathComponent("corpus/chinese-and-russian-warships-begin-joint-drills-in-the-sea-o.md")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.hasPrefix("""
            ---
            title: "Chinese and Russian warships begin joint drills in the Sea of Japan"
            date: "2025-06-02"
            url: "https://demo.invalid/news/4"
            exercise: "Joint Sea-2025"
            ---
            """))
        #expect(try await demo.run(["corpus", "list"]).stdout.contains("6 documents"))

        let again = try await demo.run(["feedback", demo.jointSea, "--right", "--to-corpus"])
        #expect(again.stdout.contains("the corpus already has this article"))
        #expect(try await demo.run(["corpus", "list"]).stdout.contains("6 documents"))
    }

    /// The daemon holds the state lock for its life; feedback needs only SQLite's own lock.
    @Test func feedbackWhileTheDaemonRuns() async throws {
        let demo = try await Self.scannedDemo()
        defer { try? FileManager.default.removeItem(at: demo.folder) }
        let (process, notify, _) = try RunCommand.start(URL(fileURLWithPath: demo.config), in: demo.folder)
        defer { if process.isRunning { process.terminate() } }
        #expect(await notify.wait(seconds: RunCommand.patience) { $0.contains("READY=1") }.contains { $0.contains("READY=1") })
        let scan = try await demo.run(["scan"])
        #expect(scan.status == 75, "the daemon holds the state lock")

        let feedback = try await demo.run(["feedback", demo.patrol, "--wrong", "--note", "judged while the daemon ran"])
        #expect(feedback.status == 0, "\(feedback.stderr)")
        #expect(try await demo.run(["feedback", "list"]).stdout.contains("judged while the daemon ran"))
        process.terminate()
        #expect(await process.waitForExit(timeout: 30))
    }
}

extension FeedbackCommands {
    /// The analyst's loop: judge an alert wrong, export the judgements, train on them, and the
    /// same item no longer alerts under the new weights.
    @Test func feedbackExportTrainChangesTheVerdict() async throws {
        let demo = try await Self.scannedDemo()
        defer { try? FileManager.default.removeItem(at: demo.folder) }
        #expect(try await demo.run(["feedback", demo.jointSea, "--wrong"]).status == 0)
        #expect(try await demo.run(["feedback", demo.patrol, "--right"]).status == 0)
        let exported = demo.folder.appendingPathComponent("feedback.jsonl").path
        #expect(try await demo.run(["feedback", "export", "--out", exported]).status == 0)

        // The judged item as `classify` reads it, before and after training.
        let record = try #require(try String(contentsOfFile: exported, encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .first { $0["label"] as? String == "other" })
        let item = demo.folder.appendingPathComponent("judged.jsonl").path
        try String(decoding: JSONSerialization.data(withJSONObject: ["id": "judged", "title": record["title"]!, "summary": record["summary"]!]),
                   as: UTF8.self).write(toFile: item, atomically: true, encoding: .utf8)
        func verdict() async throws -> [String: Any] {
            let run = try await demo.run(["classify", "--jsonl", item])
            return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        }
        let before = try await verdict()
        #expect(before["verdict"] as? String == "alert")

        let weights = demo.folder.appendingPathComponent("weights.toml").path
        let train = try await demo.run(["train", exported, "--out", weights, "--folds", "2"])
        #expect(train.status == 0, "\(train.stderr)")
        var config = try String(contentsOfFile: demo.config, encoding: .utf8)
        config += "\n[classifier]\nweights = \"weights.toml\"\n"
        try config.write(toFile: demo.config, atomically: true, encoding: .utf8)

        let after = try await verdict()
        #expect(after["verdict"] as? String != "alert", "\(after)")
        #expect((after["score"] as? Double ?? 1) < (before["score"] as? Double ?? 0))
    }
}
