import Foundation
import TestSupport
import Testing

/// `drillwatch classify`, `eval` and `corpus`, run as a user runs them.
@Suite struct ClassifyCommands {
    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let config = checkout.appendingPathComponent("config/drillwatch.toml").path

    /// Writes `folder/drillwatch.toml`: the shipped rules and corpus, state and output in
    /// `folder`, every item young enough to alert, then `rest` (more `[scan]` keys may follow
    /// directly). Returns its path.
    static func writeConfig(in folder: URL, _ rest: String) throws -> URL {
        let file = folder.appendingPathComponent("drillwatch.toml")
        try """
            base = "\(config)"
            [paths]
            state = "state"
            output = "output"
            [scan]
            first_run_horizon_days = 36500

            """.appending(rest).write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// `writeConfig` with the offline demo's wire feed as the only feed (named "demo"), every
    /// item kept for ever, then `rest` (more tables).
    static func writeDemoConfig(in folder: URL, _ rest: String = "") throws -> URL {
        try writeConfig(in: folder, """
            retention_days = 0
            [[feeds]]
            name = "demo"
            url = "\(checkout.appendingPathComponent("config/demo/feeds/drills-demo.xml").path)"

            """ + rest)
    }

    static func run(_ arguments: [String], stdin: String? = nil) async throws -> CLIRunner.Run {
        try await CLIRunner.run(arguments, stdin: stdin, directory: checkout)
    }

    static let items = """
        {"id": "a1", "title": "Chinese and Russian warships begin joint naval drills in the Sea of Japan", "summary": "The navies of China and Russia started a week of joint exercises near Vladivostok, the defence ministries said.", "published": "2031-07-01"}
        {"id": "a2", "title": "Russian and Chinese navies start joint drills near Vladivostok", "summary": "Warships from Russia and China began joint naval exercises in the Sea of Japan, defence ministries said.", "published": "2031-07-01"}
        {"id": "b1", "title": "Typhoon closes ports along the southern coast", "summary": "Ferries were cancelled and schools closed as the storm approached.", "published": "2031-07-02"}
        """

    @Test func jsonlVerdictsInInputOrder() async throws {
        let run = try await Self.run(["classify", "--config", Self.config, "--jsonl", "-"], stdin: Self.items)
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(lines.map { $0["id"] as? String } == ["a1", "a2", "b1"])
        #expect(lines.map { $0["verdict"] as? String } == ["alert", "duplicate", "ignore"])
        #expect(lines[1]["duplicate_of"] as? String == "a1")
        #expect(lines[1]["story"] as? String == lines[0]["story"] as? String)
        #expect((lines[0]["score"] as? Double ?? 0) > 0.9)
        #expect((lines[0]["rules"] as? [[String: Any]])?.isEmpty == false)
        #expect((lines[0]["similar"] as? [[String: Any]])?.first?["doc"] is String)
        #expect((lines[0]["places"] as? [String])?.first == "Sea of Japan")
        for key in ["id", "verdict", "score", "rules", "similar", "story", "duplicate_of", "exercise", "places"] {
            #expect(lines[2].keys.contains(key), "missing \(key)")
        }
    }

    @Test func explainedTextForAPerson() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dw-article-\(UUID()).txt").path
        try "China and Russia begin joint air patrol\n\nChinese and Russian strategic bombers flew a joint air patrol over the Sea of Japan, the defence ministry said.\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await Self.run(["classify", "--config", Self.config, "--explain", path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("ALERT"))
        #expect(run.stdout.contains("rule joint-patrol"))
        // The article it resembles, by its headline; the words shared as the item writes them.
        #expect(run.stdout.contains("similar to \"China and Russia launch Northern/Interaction-2023"), "\(run.stdout)")
        #expect(run.stdout.contains("bombers") || run.stdout.contains("Sea"))
        // What moved the score, with the threshold.
        #expect(run.stdout.contains("(alert from 0.60)"))
        #expect(run.stdout.contains("for      +"))
    }

    /// A web page is judged by its article, as `extract` reads it (a news page's URL is what a
    /// user has at hand as often as a feed's); a binary file is refused, not judged as a
    /// screenful of replacement characters.
    @Test func aWebPageIsJudgedByItsArticleAndBinaryIsRefused() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-page-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = folder.appendingPathComponent("joint-sea.html")
        try """
            <!DOCTYPE html><html><head><title>China and Russia begin Joint Sea-2031 naval drills | Example News</title>
            <link rel="canonical" href="https://news.example/2031/07/joint-sea.html"></head>
            <body><nav>Home · World · Asia</nav><article><h1>China and Russia begin Joint Sea-2031 naval drills</h1>
            <p>Destroyers and frigates of the Chinese and Russian navies began the Joint Sea-2031 exercise in the Sea of Japan on Monday, the two defence ministries said.</p>
            <p>The drills include anti-submarine warfare and air defence and will last five days, the Chinese ministry said in a statement.</p>
            </article><footer>© Example News</footer></body></html>
            """.write(to: page, atomically: true, encoding: .utf8)
        let run = try await Self.run(["classify", "--config", Self.config, "--jsonl", page.path])
        #expect(run.status == 0, "\(run.stderr)")
        let verdict = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(verdict["verdict"] as? String == "alert")
        #expect(verdict["id"] as? String == "https://news.example/2031/07/joint-sea.html")
        #expect(verdict["exercise"] as? String == "Joint Sea-2031")

        // An empty file was judged as an article with no words; an empty JSONL file holds no items.
        let empty = folder.appendingPathComponent("empty.txt")
        try Data().write(to: empty)
        let nothing = try await Self.run(["classify", "--config", Self.config, empty.path])
        #expect(nothing.status == 1 && nothing.stderr.contains("empty.txt: empty: nothing to judge"), "\(nothing.stderr)")

        let binary = folder.appendingPathComponent("page.html.gz")
        try Data([0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xFF, 0xFE]).write(to: binary)
        let refused = try await Self.run(["classify", "--config", Self.config, binary.path])
        #expect(refused.status == 1 && refused.stderr.contains("not text (binary data or not UTF-8)"), "\(refused.stderr)")
    }

    @Test func evalPrintsTheFigures() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dw-eval-\(UUID()).jsonl").path
        let labelled = Self.items.replacingOccurrences(of: "\"published\": \"2031-07-01\"}", with: "\"published\": \"2031-07-01\", \"label\": \"drill\", \"category\": \"cn-ru-drill\"}")
            .replacingOccurrences(of: "\"published\": \"2031-07-02\"}", with: "\"published\": \"2031-07-02\", \"label\": \"other\", \"category\": \"unrelated\"}")
        try labelled.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await Self.run(["eval", "--config", Self.config, path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("precision  1.000"))
        #expect(run.stdout.contains("recall     1.000"))
        #expect(run.stdout.contains("cn-ru-drill                2/2"))

        // The same items named twice (as `data/labelled/*.jsonl` names a split beside its
        // sources) are read once, and the user is told.
        let twice = try await Self.run(["eval", "--config", Self.config, path, path])
        #expect(twice.status == 0, "\(twice.stderr)")
        #expect(twice.stdout.contains("cn-ru-drill                2/2"))
        #expect(twice.stderr.contains("warning: 3 items repeated an earlier one's id and were read once"), "\(twice.stderr)")
    }

    /// A label that is neither `drill` nor `other` was read as `other`: a typo turned a drill
    /// into a negative of the figures and of the training. And data nothing can be learnt
    /// from (one label, fewer stories than folds) printed an F1 of 1.000 cross-validated.
    @Test func evalAndTrainRefuseLabelsAndDataTheyCannotUse() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-labels-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let typo = folder.appendingPathComponent("typo.jsonl").path
        try Self.items.replacingOccurrences(of: "\"published\": \"2031-07-01\"}", with: "\"published\": \"2031-07-01\", \"label\": \"Drill\"}")
            .replacingOccurrences(of: "\"published\": \"2031-07-02\"}", with: "\"published\": \"2031-07-02\", \"label\": \"yes\"}")
            .write(toFile: typo, atomically: true, encoding: .utf8)
        for command in [["eval"], ["train", "--out", folder.appendingPathComponent("w.toml").path]] {
            let run = try await Self.run(command + ["--config", Self.config, typo])
            #expect(run.status == 1 && run.stderr.contains("typo.jsonl:3: label must be \"drill\" or \"other\" (got \"yes\")"), "\(run.stderr)")
        }
        // `classify` judges items and leaves labels to others (the benchmark generator's are
        // "joint" and "none").
        let classify = try await Self.run(["classify", "--config", Self.config, "--jsonl", typo])
        #expect(classify.status == 0 && classify.stdout.split(separator: "\n").count == 3, "\(classify.stderr)")
        let drills = folder.appendingPathComponent("drills.jsonl").path
        try Self.items.replacingOccurrences(of: "\"published\": \"2031-07-01\"}", with: "\"published\": \"2031-07-01\", \"label\": \"drill\"}")
            .write(toFile: drills, atomically: true, encoding: .utf8)
        let oneLabel = try await Self.run(["eval", "--cv", "2", "--config", Self.config, drills])
        #expect(oneLabel.status == 1 && oneLabel.stderr.contains("learning needs items labelled drill and items labelled other"), "\(oneLabel.stderr)")
        let both = folder.appendingPathComponent("both.jsonl").path
        try String(contentsOfFile: typo, encoding: .utf8).replacingOccurrences(of: "Drill", with: "drill").replacingOccurrences(of: "yes", with: "other")
            .write(toFile: both, atomically: true, encoding: .utf8)
        let fewStories = try await Self.run(["eval", "--cv", "10", "--config", Self.config, both])
        #expect(fewStories.status == 1 && fewStories.stderr.contains("10 folds need at least 10 stories"), "\(fewStories.stderr)")
        let train = try await Self.run(["train", "--folds", "10", "--out", folder.appendingPathComponent("w.toml").path, "--config", Self.config, both])
        #expect(train.status == 1 && train.stderr.contains("10 folds need at least 10 stories"), "\(train.stderr)")
    }

    /// `eval --cv K --repeat N`: a row of F1 per dealing of the folds, their mean and spread,
    /// then the usual report; `--repeat` alone is a usage error.
    @Test func evalRepeatsCrossValidationWithOtherFolds() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dw-repeat-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let labelled = Self.items.replacingOccurrences(of: "\"2031-07-01\"}", with: "\"2031-07-01\", \"label\": \"drill\"}")
            .replacingOccurrences(of: "\"2031-07-02\"}", with: "\"2031-07-02\", \"label\": \"other\"}")
            + "\n{\"id\": \"b2\", \"title\": \"Floods close roads in the north\", \"summary\": \"Heavy rain flooded roads.\", \"published\": \"2031-07-03\", \"label\": \"other\"}\n"
        try labelled.write(toFile: path, atomically: true, encoding: .utf8)
        let run = try await Self.run(["eval", "--cv", "2", "--repeat", "3", "--penalty", "1", "--quiet", "--config", Self.config, path])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("F1 of 3 cross-validations") == true, "\(run.stdout)")
        #expect(lines.filter { $0.hasPrefix("folds ") }.count == 3 && lines.contains { $0.hasPrefix("mean ") } && lines.contains { $0.hasPrefix("sd ") })
        #expect(lines.contains { $0.hasPrefix("items      4  (drill 2, other 2); cross-validated, 2 folds") })
        let alone = try await Self.run(["eval", "--repeat", "2", "--config", Self.config, path])
        #expect(alone.status == 64 && alone.stderr.contains("--repeat needs --cv"), "\(alone.stderr)")
    }

    @Test func brokenConfigurationStopsWithItsLine() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dw-bad-\(UUID()).toml").path
        try "[classifier]\nalert_threshold = 2\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await Self.run(["classify", "--config", path, "-"], stdin: Self.items)
        #expect(run.status != 0)
        #expect(run.stderr.contains(":2: error: classifier.alert_threshold: must be between 0 and 1 (got 2)"))
        #expect(run.stdout.isEmpty)
    }

    @Test func badJSONLNamesTheLine() async throws {
        let run = try await Self.run(["classify", "--config", Self.config, "-"], stdin: "{\"id\": \"x\", \"title\": \"ok\"}\nnot json\n")
        #expect(run.status != 0)
        #expect(run.stderr.contains("stdin:2: not a JSON object"))
    }

    @Test func corpusListShowAdd() async throws {
        // A private copy of the configuration and corpus, so `add` writes nowhere shared.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-corpus-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(atPath: Self.config, toPath: folder.appendingPathComponent("drillwatch.toml").path)
        try FileManager.default.copyItem(atPath: Self.checkout.appendingPathComponent("config/weights.toml").path,
                                         toPath: folder.appendingPathComponent("weights.toml").path)
        try FileManager.default.copyItem(atPath: Self.checkout.appendingPathComponent("config/corpus").path,
                                         toPath: folder.appendingPathComponent("corpus").path)
        let config = folder.appendingPathComponent("drillwatch.toml").path

        let list = try await Self.run(["corpus", "list", "--config", config])
        #expect(list.status == 0)
        #expect(list.stdout.contains("5 documents"))
        #expect(list.stdout.contains("China Says Conducting Joint Military Drills With Russia"))

        let show = try await Self.run(["corpus", "show", "001", "--config", config])
        #expect(show.status == 0)
        #expect(show.stdout.contains("title:    China Says Conducting Joint Military Drills With Russia"))
        #expect(!show.stdout.contains("newsletter"))

        let article = folder.appendingPathComponent("new.md").path
        try """
            ---
            title: Navies of China and Russia hold joint exercise
            url: https://example.org/joint
            ---
            Chinese and Russian warships held a joint naval exercise with live firing, anti-submarine drills and air defence training over five days in the Sea of Okhotsk, the ministries said.
            """.write(toFile: article, atomically: true, encoding: .utf8)
        let add = try await Self.run(["corpus", "add", article, "--config", config])
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stdout.contains("added navies-of-china-and-russia-hold-joint-exercise"))
        let after = try await Self.run(["corpus", "list", "--config", config])
        #expect(after.stdout.contains("6 documents"))
        // The same article again would be one reference named twice in every "similar to".
        let again = try await Self.run(["corpus", "add", article, "--config", config])
        #expect(again.status == 1 && again.stderr.contains("the corpus has this article already, as navies-of-china-and-russia-hold-joint-exercise"),
                "\(again.stderr)")

        // A saved page, compressed: its article (as `extract` reads it), not its menus, nor
        // its gzip bytes (which were written as a document every later command skipped).
        let page = folder.appendingPathComponent("page.html")
        try """
            <!DOCTYPE html><html><head><title>Bombers of China and Russia patrol together | Example News</title>
            <meta property="article:published_time" content="2031-05-24T08:00:00Z"></head>
            <body><nav>Home · World · Asia · Sport · Weather · Subscribe to our newsletter</nav><article>
            <h1>Bombers of China and Russia patrol together</h1>
            <p>Strategic bombers of the Chinese and Russian air forces flew a joint patrol over the Sea of Japan and the East China Sea on Tuesday, the defence ministries of both countries said.</p>
            <p>Japan scrambled fighter jets as the aircraft flew near its islands, its defence ministry said in a statement.</p>
            </article><footer>© Example News · Privacy · Cookies</footer></body></html>
            """.write(to: page, atomically: true, encoding: .utf8)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = [page.path]
        try gzip.run()
        gzip.waitUntilExit()
        let addPage = try await Self.run(["corpus", "add", page.path + ".gz", "--config", config])
        #expect(addPage.status == 0 && addPage.stdout.contains("added bombers-of-china-and-russia-patrol-together"), "\(addPage.stdout) \(addPage.stderr)")
        let shown = try await Self.run(["corpus", "show", "bombers-of-china", "--config", config])
        #expect(shown.stdout.contains("Strategic bombers of the Chinese and Russian air forces") && !shown.stdout.contains("newsletter")
                && !shown.stderr.contains("skipped"), "\(shown.stdout) \(shown.stderr)")
        let binary = folder.appendingPathComponent("image.md")
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0xFF]).write(to: binary)
        let refused = try await Self.run(["corpus", "add", binary.path, "--config", config])
        #expect(refused.status == 1 && refused.stderr.contains("not text"), "\(refused.stderr)")

        let missing = try await Self.run(["corpus", "show", "nope", "--config", config])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no corpus document 'nope'"))
    }
}
