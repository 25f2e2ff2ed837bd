import Classifier
import Foundation
import Model
import Testing
@testable import Settings

@Suite struct ConfigurationFile {
    let file = URL(fileURLWithPath: "/etc/drillwatch/drillwatch.toml")

    func problems(_ source: String) -> [ConfigProblem] {
        do {
            _ = try Settings.parse(source, file: file, checkingRules: Classifier.ruleProblems)
            return []
        } catch {
            return error.problems
        }
    }

    @Test func shippedConfigurationLoads() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/drillwatch.toml")
        let settings = try Settings.load(shipped)
        #expect(settings.rules.count >= 15)
        #expect(settings.rules.contains { $0.effect == .veto })
        #expect(settings.gazetteer.exercises.contains { $0.name == "Joint Sea" })
        #expect(settings.corpusFolder.lastPathComponent == "corpus")
        #expect(settings.classifier.alertThreshold > settings.classifier.reviewThreshold)
    }

    @Test func articlePoliciesAreReadAndCheckedPerFeed() throws {
        let source = """
            [articles]
            policy = "short"
            per_host_per_minute = 2
            [[feeds]]
            name = "wire"
            url = "https://wire.example/rss"
            article = "never"
            [[feeds]]
            name = "desk"
            url = "https://desk.example/rss"
            """
        let settings = try Settings.parse(source, file: file)
        #expect(settings.articles.policy == .short && settings.articles.perHostPerMinute == 2)
        #expect(settings.feeds.map(\.article) == [.never, nil])
        #expect(try Settings.parse("", file: file).articles.policy == .auto)
        let refused = problems("[[feeds]]\nname = \"x\"\nurl = \"https://x.example/rss\"\narticle = \"sometimes\"\n")
        #expect(refused.map(\.keyPath) == ["feeds[0].article"])
        #expect(refused.first?.message.contains("never, short, borderline, always") == true)
    }

    @Test func anOldHookSettingIsWarnedNotRefused() throws {
        let settings = try Settings.parse("[hooks]\nwebhook = \"https://chat.example.org/h\"\nwebhook_retries = 3\n", file: file)
        #expect(settings.hooks.webhook == "https://chat.example.org/h")
        #expect(settings.warnings.map(\.description) == [
            "drillwatch.toml:3: warning: hooks.webhook_retries: no longer used: every delivery is retried with back-off for retry_hours (24 by default); remove this line",
        ])
    }

    @Test func emptyFileMeansDefaults() throws {
        let settings = try Settings.parse("", file: file)
        #expect(settings.rules.isEmpty)
        #expect(settings.corpusFolder.path == "/etc/drillwatch/corpus")
        #expect(settings.classifier.alertThreshold == 0.6)
    }

    @Test func unknownKeysAreNamedWithTheirLine() {
        let found = problems("""
            [classifier]
            alert_treshold = 0.7
            """)
        #expect(found.count == 1)
        #expect(found.first?.description == "drillwatch.toml:2: error: classifier.alert_treshold: unknown setting (did you mean 'alert_threshold'?)")
    }

    @Test func wrongTypesAndRanges() {
        let found = problems("""
            [classifier]
            alert_threshold = "high"
            review_threshold = 1.5
            learn = 1
            """)
        #expect(found.map(\.keyPath) == ["classifier.alert_threshold", "classifier.review_threshold", "classifier.learn"])
        #expect(found.map(\.line) == [2, 3, 4])
        #expect(found[0].message == "must be a number (got \"high\")")
        #expect(found[1].message == "must be between 0 and 1 (got 1.5)")
    }

    @Test func anExerciseNameCountsInOneWayOnly() throws {
        let settings = try Settings.parse("""
            [[gazetteer.exercises]]
            name = "Joint Sea"
            requires_name = true
            [[gazetteer.exercises]]
            name = "Ocean"
            requires_year = true
            [[gazetteer.exercises]]
            name = "Mosi"
            [[gazetteer.exercises]]
            name = "Cooperation"
            requires_year_and_drill_word = true
            """, file: file, checkingRules: Classifier.ruleProblems)
        #expect(settings.gazetteer.exercises.map(\.counting) == [.asNameOrWithYear, .withYear, .always, .withYearNearDrillWord])
        let found = problems("""
            [[gazetteer.exercises]]
            name = "Peace Mission"
            requires_year = true
            requires_drill_word = true
            """)
        #expect(found.map(\.keyPath) == ["gazetteer.exercises[0]"])
        #expect(found.first?.message == "set one of requires_year, requires_drill_word, not several")
    }

    @Test func aPlaceLiesWithinPlacesOfTheGazetteer() throws {
        let settings = try Settings.parse("""
            [[gazetteer.places]]
            name = "Sea of Japan"
            [[gazetteer.places]]
            name = "Vladivostok"
            within = ["Sea of Japan"]
            """, file: file, checkingRules: Classifier.ruleProblems)
        #expect(settings.gazetteer.places.map(\.within) == [[], ["Sea of Japan"]])
        let found = problems("""
            [[gazetteer.places]]
            name = "Sea of Japan"
            [[gazetteer.places]]
            name = "Vladivostok"
            within = ["Sea of Japna"]
            """)
        #expect(found.map(\.keyPath) == ["gazetteer.places[1].within"])
        #expect(found.first?.message == "'Sea of Japna' is not the name of a place in the gazetteer")
        let misplaced = problems("""
            [[gazetteer.places]]
            name = "Sea of Japan"
            [[gazetteer.exercises]]
            name = "Joint Sea"
            within = ["Sea of Japan"]
            """)
        #expect(misplaced.map(\.keyPath) == ["gazetteer.exercises[0].within"])
    }

    /// `$name` in a query is the `[terms]` word list of that name, in parentheses.
    @Test func aWordListIsWrittenOnceAndUsedByName() throws {
        let settings = try Settings.parse("""
            [terms]
            china = '''china OR chinese OR "people's liberation army"'''
            drill = "drill* OR exercis*"
            [[rules]]
            name = "both"
            query = "title:$drill AND ($china NEAR/5 russia)"
            """, file: file, checkingRules: Classifier.ruleProblems)
        #expect(settings.rules.first?.query == #"title:(drill* OR exercis*) AND ((china OR chinese OR "people's liberation army") NEAR/5 russia)"#)
        #expect(settings.terms.keys.sorted() == ["china", "drill"])
    }

    @Test func anUnknownOrNestedWordListIsAnError() {
        let unknown = problems("""
            [terms]
            china = "china"
            [[rules]]
            name = "r"
            query = "$chnia AND drill"
            """)
        #expect(unknown.map(\.keyPath) == ["rules[0].query"])
        #expect(unknown.first?.message == "no word list $chnia in [terms] (there are $china)")
        let nested = problems("""
            [terms]
            china = "china"
            both = "$china AND russia"
            Bad = "x"
            """)
        #expect(nested.map(\.keyPath) == ["terms.Bad", "terms.both"])
    }

    @Test func rulesAreCheckedOneByOne() {
        let found = problems("""
            [[rules]]
            name = "fine"
            query = "drill"

            [[rules]]
            name = "broken"
            query = "drill AND (china"
            weight = 2

            [[rules]]
            query = "x"
            effect = "boost"
            """)
        #expect(found.contains { $0.keyPath == "rules[1].query" && $0.line == 7 && $0.message.contains("rule 'broken': column 11: '(' is never closed") })
        #expect(found.contains { $0.keyPath == "rules[2].name" && $0.message == "is required" })
        #expect(found.contains { $0.keyPath == "rules[2].effect" && $0.message.contains("raise, lower or veto") })
    }

    /// Rules that overflowed the stack (nesting) or were too big to be meant (operators) while
    /// check-config parsed them.
    @Test(arguments: [
        (String(repeating: "(", count: 20_000) + "drill" + String(repeating: ")", count: 20_000),
         "column 65: parentheses and NOTs are nested more than 64 deep; write the query flatter"),
        (Array(repeating: "drill", count: 5_001).joined(separator: " OR "),
         "column 9001: the query has more than 2000 words and operators; split it into several rules"),
    ])
    func hostileRulesAreErrorsWithTheirColumn(query: String, expected: String) {
        let found = problems("[[rules]]\nname = \"hostile\"\nquery = \"\(query)\"\n")
        #expect(found.map(\.description) == ["drillwatch.toml:3: error: rules[0].query: rule 'hostile': \(expected)"])
    }

    @Test func invalidTOMLGivesItsLine() {
        let found = problems("""
            [classifier]
            alert_threshold = = 0.5
            """)
        #expect(found.count == 1)
        #expect(found.first?.line == 2)
        #expect(found.first?.message.hasPrefix("not valid TOML") == true)
    }

    @Test func duplicateRuleNames() {
        let found = problems("""
            [[rules]]
            name = "a"
            query = "x"
            [[rules]]
            name = "a"
            query = "y"
            """)
        #expect(found.map(\.message) == ["rule 'a' is defined twice"])
    }

    /// A URL's scheme is case-insensitive: "HTTPS://" (as some feed lists write it) loads, in
    /// lower case; the rest of the address is kept as written.
    @Test func aFeedURLSchemeIsCaseInsensitive() throws {
        let settings = try Settings.parse("[[feeds]]\nname = \"wire\"\nurl = \"HTTPS://News.example/Wire.xml\"\n", file: file)
        #expect(settings.feeds.map(\.url) == ["https://News.example/Wire.xml"])
    }

    /// A feed's name is what `--feed`, the tables and the logs match and show.
    @Test func feedNamesHaveNoControlCharacters() {
        let found = problems("""
            [[feeds]]
            name = "wire\\nnews"
            url = "https://news.example/wire.xml"
            [[feeds]]
            name = ""
            url = "https://news.example/desk.xml"
            [[feeds]]
            name = "Новости — desk 2"
            url = "https://news.example/ru.xml"
            """)
        #expect(found.map(\.keyPath) == ["feeds[0].name", "feeds[1].name"])
        #expect(found.first?.message == "must be a non-empty name without control characters (got \"wire\\nnews\")")
    }

    @Test func thresholdsMustBeOrdered() {
        let found = problems("""
            [classifier]
            alert_threshold = 0.3
            review_threshold = 0.5
            """)
        #expect(found.first?.keyPath == "classifier.review_threshold")
    }

    @Test func defaultFileFollowsSystemd() {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-config-\(UUID())")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(FileManager.default.createFile(atPath: folder.appendingPathComponent("drillwatch.toml").path, contents: Data()))
        let chosen = Settings.defaultFile(environment: ["CONFIGURATION_DIRECTORY": folder.path], currentDirectory: "/nonexistent")
        #expect(chosen.path == folder.appendingPathComponent("drillwatch.toml").path)
    }
}

/// One rule for where state lives, the same for every command and working directory.
@Suite struct DataFolderRule {
    @Test func systemdThenTheSystemConfigThenAUsersThenBesideTheFile() {
        let system = URL(fileURLWithPath: "/etc/drillwatch/drillwatch.toml")
        #expect(Settings.dataFolder(for: system, environment: ["STATE_DIRECTORY": "/var/lib/drillwatch"]).path == "/var/lib/drillwatch")
        #expect(Settings.dataFolder(for: system, environment: [:]).path == "/var/lib/drillwatch")
        let user = URL(fileURLWithPath: "/home/ana/.config/drillwatch/drillwatch.toml")
        #expect(Settings.dataFolder(for: user, environment: ["HOME": "/home/ana"]).path == "/home/ana/.local/state/drillwatch")
        #expect(Settings.dataFolder(for: user, environment: ["HOME": "/home/ana", "XDG_STATE_HOME": "/srv/state"]).path == "/srv/state/drillwatch")
        let checkout = URL(fileURLWithPath: "/src/drillwatch/config/drillwatch.toml")
        #expect(Settings.dataFolder(for: checkout, environment: ["HOME": "/home/ana"]).path == "/src/drillwatch/config/var")
    }

    @Test func theWorkingDirectoryDoesNotMatter() throws {
        let file = URL(fileURLWithPath: "/src/drillwatch/config/x.toml")
        let settings = try Settings.parse("", file: file)
        #expect(settings.stateFolder.path == "/src/drillwatch/config/var/state")
        #expect(settings.outputFolder.path == "/src/drillwatch/config/var/output")
    }
}

/// `[store]`: PostgreSQL by URL, its password only from a credential.
@Suite struct StoreSection {
    @Test func sqliteUnlessAURLIsGiven() throws {
        let folder = URL(fileURLWithPath: "/etc/drillwatch/drillwatch.toml")
        #expect(try Settings.parse("", file: folder).store == StoreSettings())
        let settings = try Settings.parse("[store]\nurl = \"postgresql://drillwatch@db.example:5432/drillwatch?sslmode=require\"", file: folder)
        #expect(settings.store.postgresURL == "postgresql://drillwatch@db.example:5432/drillwatch?sslmode=require")
        #expect(settings.store.password == nil)
    }

    @Test func thePasswordComesFromACredentialAndNeverFromTheFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-store-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("credentials"), withIntermediateDirectories: true)
        try "s3cret-Pw\n".write(to: folder.appendingPathComponent("credentials/postgres"), atomically: true, encoding: .utf8)
        let file = folder.appendingPathComponent("drillwatch.toml")
        let settings = try Settings.parse("""
            [store]
            url = "postgresql://drillwatch@db.example/drillwatch"
            password = "credential:postgres"
            """, file: file)
        #expect(settings.store.password == "s3cret-Pw")

        func problems(_ source: String) -> [String] {
            do { _ = try Settings.parse(source, file: file); return [] } catch { return error.problems.map(\.description) }
        }
        let inline = problems("[store]\nurl = \"postgresql://drillwatch@db.example/dw\"\npassword = \"s3cret-Pw\"")
        #expect(inline.count == 1 && inline[0].contains("must name a credential"))
        let inURL = problems("[store]\nurl = \"postgresql://drillwatch:s3cret-Pw@db.example/dw\"")
        #expect(inURL.count == 1 && inURL[0].contains("must not carry the password") && !inURL[0].contains("s3cret-Pw"))
        #expect(problems("[store]\nurl = \"postgresql://db.example/dw?user=x&password=s3cret-Pw\"").count == 1)
        let notPostgres = problems("[store]\nurl = \"mysql://db.example/dw\"")
        #expect(notPostgres.count == 1 && notPostgres[0].contains("must be a PostgreSQL URL"))
        #expect(problems("[store]\npassword = \"credential:postgres\"").first?.contains("only for a PostgreSQL state") == true)
        #expect(problems("[store]\nurl = \"postgresql://db.example/dw\"\npassword = \"credential:absent\"").first?.contains("not found") == true)
        // A named pipe blocked the load in open(); a folder is no credential either.
        #expect(mkfifo(folder.appendingPathComponent("credentials/piped").path, 0o600) == 0)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("credentials/folder"), withIntermediateDirectories: false)
        for name in ["piped", "folder"] {
            let found = problems("[store]\nurl = \"postgresql://db.example/dw\"\npassword = \"credential:\(name)\"")
            #expect(found.first?.contains("credential '\(name)' (\(folder.path)/credentials/\(name)) is not a regular file") == true, "\(found)")
        }
        #expect(problems("[store]\nhost = \"db\"").first?.contains("host") == true)
    }
}

/// A weights file with learnt words reads back as it was written, to the four decimals a
/// term's weight is written with, and a term that needs escaping stays one key.
@Suite struct WeightsFileWords {
    @Test func learntWordsRoundTrip() throws {
        let words = TextWeights(bias: -0.75, terms: ["joint sea": 1.23456, "warn shot": -0.5, "say \"no\" \\ 1": 0.25, "tiny": 0.00001])
        let weights = ScoreWeights(bias: -2.5, weights: ["rule:drill": 1.5, ScoreWeights.textWords: 0.8], text: words)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("weights-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("weights.toml")
        try WeightsFile.render(weights, header: ["a test"]).write(to: file, atomically: true, encoding: .utf8)

        let read = try WeightsFile.load(file)
        #expect(read.bias == -2.5 && read.weights == weights.weights)
        let terms = try #require(read.text).terms
        #expect(read.text?.bias == -0.75)
        #expect(terms == ["joint sea": 1.2346, "warn shot": -0.5, "say \"no\" \\ 1": 0.25])  // "tiny" rounds to 0 and is left out
    }

    @Test func aWeightsFileWithoutWordsHasNone() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("weights-\(UUID().uuidString).toml")
        defer { try? FileManager.default.removeItem(at: file) }
        try "bias = -1\n[weights]\n\"rule:drill\" = 2\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(try WeightsFile.load(file).text == nil)
    }

    /// The learnt words are read apart from the TOML parser when `train` wrote them
    /// (`TermLines`): the shipped file reads the same both ways.
    @Test func theShippedWeightsReadTheSameWithoutTheTOMLParser() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/weights.toml")
        let text = try String(contentsOf: file, encoding: .utf8)
        let split = try #require(TermLines.split(text))
        #expect(split.terms.count > 1000)
        let parsed = try WeightsFile.read(text, name: "weights.toml", terms: nil)
        let loaded = try WeightsFile.load(file)
        #expect(loaded.bias == parsed.bias && loaded.weights == parsed.weights)
        #expect(loaded.text == parsed.text)
    }

    /// Term tables the fast reader does not take — escapes, bare keys, a table after them, a
    /// repeated term, a value out of range, CRLF lines, comments — read as TOML says, or fail
    /// with the TOML parser's problem and line.
    @Test func termTablesTheFastReaderLeavesReadAsTOMLSays() throws {
        func load(_ text: String) throws -> ScoreWeights {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("weights-\(UUID().uuidString).toml")
            defer { try? FileManager.default.removeItem(at: file) }
            try text.write(to: file, atomically: true, encoding: .utf8)
            return try WeightsFile.load(file)
        }
        let head = "bias = -1\n[text]\nbias = 0.5\n[text.terms]\n"
        #expect(TermLines.split(head + "\"a\" = 1.5 # note\n\"b\" = +2\n")?.terms == ["a": 1.5, "b": 2])
        #expect(TermLines.split(head + "bare = 2\n") == nil && TermLines.split(head + "\"a\" = 1\n[x]\n") == nil)
        #expect(try load(head + "\"a\" = 1.5 # note\n\n# a comment\n\"b c\" = -2e-1\n").text?.terms == ["a": 1.5, "b c": -0.2])
        #expect(try load(head + "\"a\\\"b\" = 1\nbare = 2\n").text?.terms == ["a\"b": 1, "bare": 2])
        #expect(try load("bias = -1\r\n[text.terms]\r\n\"a\" = 1\r\n").text == TextWeights(bias: 0, terms: ["a": 1]))
        #expect(try load(head + "\"a\" = 1\n[weights]\nx = 2\n").weights == ["x": 2])
        #expect(try load(head).text == TextWeights(bias: 0.5, terms: [:]))
        let problems: [(String, String)] = [
            (head + "\"a\" = 1\n\"a\" = 2\n", ".toml:6:"),         // a repeated term
            (head + "\"a\" = 1\n\"b\" = 200\n", "text.terms.b"),    // out of range
            (head + "\"a\" = 01\n", ".toml:5:"),                      // not a TOML number
            ("bias = -1\n[text]\nterms = { a = 1 }\n[text.terms]\n\"b\" = 1\n", ".toml:4:"),
        ]
        for (text, place) in problems {
            #expect {
                _ = try load(text)
            } throws: { error in
                (error as? ConfigError)?.problems.map(\.description).joined(separator: "\n").contains(place) == true
            }
        }
    }

    @Test func anUnknownKeyInTheWordsIsReportedWithItsPlace() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("weights-\(UUID().uuidString).toml")
        defer { try? FileManager.default.removeItem(at: file) }
        try "bias = -1\n[text]\nbias = 0\nbais = 1\n[text.terms]\nsea = \"high\"\n".write(to: file, atomically: true, encoding: .utf8)
        #expect {
            _ = try WeightsFile.load(file)
        } throws: { error in
            let text = (error as? ConfigError)?.problems.map(\.description).joined(separator: "\n") ?? ""
            return text.contains("bais") && text.contains("sea")
        }
    }
}
