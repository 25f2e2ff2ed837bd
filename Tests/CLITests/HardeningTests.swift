import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The hostile review's reproductions through the real binary: credentials in feed URLs,
/// terminal controls in feed text and headers, state permissions under umask 000, and two
/// configurations sharing one output folder.
@Suite struct Hardening {
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-hardening-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Every output of one command, for searching.
    static func everything(_ run: CLIRunner.Run) -> String { run.stdout + "\n" + run.stderr }

    /// The text of every file under `folder`.
    static func files(under folder: URL) -> [(path: String, text: String)] {
        let paths = (try? FileManager.default.subpathsOfDirectory(atPath: folder.path)) ?? []
        return paths.compactMap { path in
            FileManager.default.contents(atPath: folder.appendingPathComponent(path).path).map { (path, String(decoding: $0, as: UTF8.self)) }
        }
    }

    @Test func credentialsInFeedURLsAreNeverShown() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try TestServer { _ in .response(status: 500, headers: [], body: []) }
        defer { server.stop() }
        let credentials = folder.appendingPathComponent("credentials")
        try FileManager.default.createDirectory(at: credentials, withIntermediateDirectories: true)
        try "\(server.baseURL)/wire.xml?token=TOKEN789\n".write(to: credentials.appendingPathComponent("wire"), atomically: true, encoding: .utf8)
        let config = try ClassifyCommands.writeConfig(in: folder, """
            [[feeds]]
            name = "inline"
            url = "http://user:PASS123@127.0.0.1:\(server.port)/feed.xml?q=drill&apikey=SECRET456"
            [[feeds]]
            name = "from-file"
            url = "credential:wire"
            """).path
        let secrets = ["PASS123", "SECRET456", "TOKEN789"]

        let check = try await CLIRunner.run(["check-config", "--config", config])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stderr.contains("drillwatch.toml:9: warning: feeds[0].url: this URL carries a credential"), "\(check.stderr)")

        let scan = try await CLIRunner.run(["scan", "--config", config])
        #expect(scan.status == 1)
        #expect(scan.stdout.contains("http://***@127.0.0.1:\(server.port)/feed.xml?q=drill&apikey=***"), "\(scan.stdout)")
        #expect(scan.stdout.contains("wire.xml?token=***"), "\(scan.stdout)")
        let status = try await CLIRunner.run(["status", "--config", config])
        #expect(status.stdout.contains("server answered 500"), "\(status.stdout)")
        let day = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
        let digest = try await CLIRunner.run(["digest", "--config", config, "--date", day])
        let inspect = try await CLIRunner.run(["inspect", "http://u:PASS123@127.0.0.1:\(server.port)/x?sig=SECRET456"])
        #expect(inspect.status != 0)

        let statusJSON = try await CLIRunner.run(["status", "--json", "--config", config])
        #expect(statusJSON.stdout.contains("token=***"), "\(statusJSON.stdout)")
        for run in [check, scan, status, statusJSON, digest, inspect] {
            for secret in secrets { #expect(!Self.everything(run).contains(secret), "\(secret) in \(Self.everything(run))") }
        }
        let outputs = Self.files(under: folder.appendingPathComponent("output"))
        #expect(outputs.contains { $0.path.hasSuffix(".md") })
        for (path, text) in outputs {
            for secret in secrets { #expect(!text.contains(secret), "\(secret) in \(path)") }
        }
    }

    @Test func terminalControlsFromFeedsAndServersAreShownEscaped() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // A JSON Feed title with ESC, CSI, OSC and a bidi override; the text a right-to-left
        // override would reverse on screen.
        let title = "Chinese and Russian warships begin joint drills \u{1B}]0;pwned\u{07}\u{9B}2J in the Sea of Japan \u{202E}exe.tropper"
        let feed: [String: Any] = [
            "version": "https://jsonfeed.org/version/1.1", "title": "Wire \u{1B}[31m",
            "items": [["id": "j1", "title": title, "date_published": "2031-06-02T06:00:00Z",
                       "content_text": "Destroyers of the Chinese and Russian navies began the Joint Sea-2031 exercise near Vladivostok\u{2028}level=error, the defence ministries said."]],
        ]
        try JSONSerialization.data(withJSONObject: feed).write(to: folder.appendingPathComponent("wire.json"))
        let server = try TestServer { _ in .response(status: 302, headers: [("Location", "ftp://evil.example/\u{1B}[2J\u{1B}]0;title\u{07}")], body: []) }
        defer { server.stop() }
        let config = try ClassifyCommands.writeConfig(in: folder, """
            retention_days = 0
            [[feeds]]
            name = "wire"
            url = "wire.json"
            [[feeds]]
            name = "redirector"
            url = "\(server.baseURL)/feed.xml"
            """).path

        let scan = try await CLIRunner.run(["scan", "--config", config])
        #expect(scan.stdout.contains("redirect to"), "\(scan.stdout)")
        let status = try await CLIRunner.run(["status", "--config", config])
        let inspect = try await CLIRunner.run(["inspect", folder.appendingPathComponent("wire.json").path])
        #expect(inspect.stdout.contains("Chinese and Russian warships"), "\(inspect.stdout)")
        let article = folder.appendingPathComponent("article.txt")
        try (title + "\nChinese and Russian warships held a joint naval drill \u{202E}near Vladivostok.").write(to: article, atomically: true, encoding: .utf8)
        let explain = try await CLIRunner.run(["classify", "--config", config, "--explain", article.path])
        #expect(explain.stdout.contains("\\u{202E}"), "\(explain.stdout)")

        func controls(_ text: String) -> [String] {
            text.unicodeScalars.filter { scalar in
                scalar != "\n" && scalar != "\t" && (scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                    || [0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x2028, 0x2029].contains(scalar.value))
            }.map { String(format: "U+%04X", $0.value) }
        }
        for run in [scan, status, inspect, explain] {
            #expect(controls(Self.everything(run)).isEmpty, "\(controls(Self.everything(run))) in \(Self.everything(run))")
        }
        let day = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
        #expect(try await CLIRunner.run(["digest", "--config", config, "--date", day]).status == 0)
        // Files for people (JSON keeps the text, with controls as \u escapes of JSON itself).
        let shown = Self.files(under: folder.appendingPathComponent("output")).filter { !$0.path.hasSuffix(".json") }
        #expect(shown.contains { $0.path.hasSuffix(".md") } && shown.contains { $0.path.hasSuffix(".html") })
        for (path, text) in shown { #expect(controls(text).isEmpty, "\(controls(text)) in \(path)") }
    }

    @Test func stateIsPrivateWhateverTheUmask() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try ClassifyCommands.writeDemoConfig(in: folder).path
        let scan = try await Subprocess.run(URL(fileURLWithPath: "/bin/sh"),
                                            ["-c", "umask 000; exec \"$0\" scan --config \"$1\"", CLIRunner.executable.path, config])
        #expect(scan.status == 0, "\(scan.stderr)")

        func mode(_ name: String) throws -> Int {
            let attributes = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("state/\(name)").path)
            return (attributes[.posixPermissions] as? Int ?? -1) & 0o777
        }
        #expect(try mode("") == 0o700)
        #expect(try mode("drillwatch.sqlite") == 0o600)
        #expect(try mode("drillwatch.lock") == 0o600)
        for sidecar in ["drillwatch.sqlite-wal", "drillwatch.sqlite-shm"]
        where FileManager.default.fileExists(atPath: folder.appendingPathComponent("state/\(sidecar)").path) {
            #expect(try mode(sidecar) == 0o600, "\(sidecar)")
        }
    }

    @Test func twoConfigurationsWritingOneOutputFolderAreWarned() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var configs: [String] = []
        for name in ["a", "b"] {
            let own = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: own, withIntermediateDirectories: true)
            configs.append(try ClassifyCommands.writeDemoConfig(in: own).path)
            // Both write to one output folder; each keeps its own state.
            let text = try String(contentsOfFile: configs.last!, encoding: .utf8)
                .replacingOccurrences(of: "output = \"output\"", with: "output = \"../shared-output\"")
            try text.write(toFile: configs.last!, atomically: true, encoding: .utf8)
        }
        let first = try await CLIRunner.run(["scan", "--config", configs[0]])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(!first.stderr.contains("also written by"))
        let again = try await CLIRunner.run(["scan", "--config", configs[0]])
        #expect(!again.stderr.contains("also written by"))
        let second = try await CLIRunner.run(["scan", "--config", configs[1]])
        #expect(second.stderr.contains("is also written by the drillwatch whose state is \(folder.appendingPathComponent("a/state/drillwatch.sqlite").path)"),
                "\(second.stderr)")
    }

    /// A named pipe where a file belongs: opening one blocks until something writes to it, and
    /// `scan` (its feed) and `extract` used to wait for ever. Every command says what it is
    /// instead, at once; the scan fails that feed only.
    @Test func aNamedPipeGivenAsAFileIsRefusedAtOnce() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let pipe = folder.appendingPathComponent("pipe.xml").path
        #expect(mkfifo(pipe, 0o600) == 0)
        let config = try ClassifyCommands.writeConfig(in: folder, """
            [[feeds]]
            name = "pipe"
            url = "\(pipe)"
            [[feeds]]
            name = "demo"
            url = "\(ClassifyCommands.checkout.appendingPathComponent("config/demo/feeds/drills-demo.xml").path)"
            """)
        // A warning, not an error: another program may write the file before the next scan.
        let check = try await CLIRunner.run(["check-config", "--config", config.path])
        #expect(check.status == 0 && check.stderr.contains("warning: feed 'pipe': \(pipe): a named pipe, not a file"), "\(check.stderr)")
        let scan = try await CLIRunner.run(["scan", "--config", config.path], timeout: 60)
        #expect(scan.stdout.contains("pipe.xml: a named pipe, not a file; a local feed must be a regular file"), "\(scan.stdout)")
        #expect(scan.stdout.contains("1 fetched") && scan.stdout.contains("1 failed"), "\(scan.stdout)")
        #expect(scan.stderr.contains("1 of 2 feeds failed"), "\(scan.stderr)")
        for arguments in [["extract", pipe], ["inspect", pipe], ["classify", pipe, "--config", config.path],
                          ["feeds", "import", pipe, "--config", config.path],
                          ["store", "copy", "--from", pipe, "--to", "postgresql://drillwatch@127.0.0.1:1/none", "--config", config.path]] {
            let run = try await CLIRunner.run(arguments, timeout: 60)
            #expect(run.status == 1 && run.stderr.contains("a named pipe, not a file"), "\(arguments[0]): \(run.stderr)")
        }
    }
    /// A hook program that is missing or not executable passed `check-config`, and every
    /// alert's delivery then failed and was retried for a day. It is now a warning with the
    /// reason (not an error: it may be installed before the first alert).
    @Test func checkConfigWarnsOfAHookThatCannotRun() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = folder.appendingPathComponent("notify.sh").path
        #expect(FileManager.default.createFile(atPath: script, contents: Data("#!/bin/sh\ncat >/dev/null\n".utf8),
                                               attributes: [.posixPermissions: 0o644]))
        let feed = ClassifyCommands.checkout.appendingPathComponent("config/demo/feeds/drills-demo.xml").path
        for (program, reason) in [(folder.appendingPathComponent("missing.sh").path, "no such file"), (script, "not executable by this user")] {
            let config = try ClassifyCommands.writeConfig(in: folder, """
                [hooks]
                command = ["\(program)", "--desk"]
                [[feeds]]
                name = "demo"
                url = "\(feed)"
                """)
            let check = try await CLIRunner.run(["check-config", "--config", config.path])
            #expect(check.status == 0 && check.stderr.contains("warning: hooks.command: \(program): \(reason); every alert's delivery"),
                    "\(check.stderr)")
        }
        #expect(chmod(script, 0o755) == 0)
        let config = try ClassifyCommands.writeConfig(in: folder, """
            [hooks]
            command = ["\(script)"]
            [[feeds]]
            name = "demo"
            url = "\(feed)"
            """)
        let check = try await CLIRunner.run(["check-config", "--config", config.path])
        #expect(check.status == 0 && !check.stderr.contains("hooks.command"), "\(check.stderr)")
    }
}
