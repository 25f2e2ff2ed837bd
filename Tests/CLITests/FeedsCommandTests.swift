import Foundation
import TestSupport
import Testing

/// `drillwatch feeds`, run as a user runs it, on a configuration of its own.
@Suite struct FeedsCommands {
    /// An OPML list holds web feeds; an outline with another kind of address is left out with a
    /// warning and the rest imported. A local path or a file: URL in a shared list would have
    /// pointed drillwatch at this machine's files (a local path was imported as a local feed),
    /// and a file: URL made the whole import fail.
    @Test func importTakesWebFeedsAndSaysWhatItLeftOut() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-feeds-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try ClassifyCommands.writeDemoConfig(in: folder)
        let opml = folder.appendingPathComponent("reader.opml")
        try """
            <?xml version="1.0"?>
            <opml version="2.0"><body>
            <outline text="Wire" xmlUrl="https://news.example/wire.xml"/>
            <outline text="Desk" xmlUrl="HTTP://desk.example/feed"/>
            <outline text="Passwords" xmlUrl="/etc/passwd"/>
            <outline text="File" xmlUrl="file:///etc/passwd"/>
            <outline text="Script" xmlUrl="javascript:alert(1)"/>
            </body></opml>
            """.write(to: opml, atomically: true, encoding: .utf8)
        let run = try await CLIRunner.run(["feeds", "import", opml.path, "--config", config.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("2 feeds imported"), "\(run.stdout)")
        for left in ["'Passwords' left out: /etc/passwd", "'File' left out: file:///etc/passwd", "'Script' left out: javascript:alert(1)"] {
            #expect(run.stderr.contains(left), "\(run.stderr)")
        }
        let list = try await CLIRunner.run(["feeds", "list", "--config", config.path])
        #expect(list.stdout.contains("wire") && list.stdout.contains("desk") && !list.stdout.contains("/etc/passwd"), "\(list.stdout)")
    }

    /// A wrong argument to `feeds add` is the command line's fault: exit 64 with what is wrong
    /// and the usage, and the file untouched. It was exit 2, "the file would not load", as
    /// if the configuration were broken.
    @Test func addRefusesAWrongArgumentAsAUsageError() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-feeds-add-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try ClassifyCommands.writeDemoConfig(in: folder)
        let before = try String(contentsOf: config, encoding: .utf8)
        for (arguments, said) in [
            (["ftp-feed", "ftp://news.example/feed"], "<url>: only http://, https:// or a local file path (got 'ftp://news.example/feed')"),
            (["no-host", "https://"], "<url>: 'https://' is not a valid URL"),
            (["", "https://news.example/feed"], "<name> must be a non-empty name"),
            (["often", "https://news.example/feed", "--interval", "0.5"], "--interval must be from 1 to 10080 minutes (a week), not 0.5"),
        ] {
            let run = try await CLIRunner.run(["feeds", "add"] + arguments + ["--config", config.path])
            #expect(run.status == 64 && run.stderr.contains(said) && run.stderr.contains("Usage: drillwatch feeds add"), "\(arguments): \(run.stderr)")
        }
        #expect(try String(contentsOf: config, encoding: .utf8) == before)
        let added = try await CLIRunner.run(["feeds", "add", "wire", "HTTPS://news.example/wire.xml", "--interval", "30", "--config", config.path])
        #expect(added.status == 0 && added.stdout.contains("feed wire added"), "\(added.stderr)")
    }

    /// An exported list is for sharing: a credential in a URL is masked and a local feed left
    /// out, and the user is told of each rather than finding the list incomplete later.
    @Test func exportSaysWhatItMaskedAndLeftOut() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-export-\(UUID())")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("credentials"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "https://news.example/wire.xml?token=SECRET42\n".write(to: folder.appendingPathComponent("credentials/wire"), atomically: true, encoding: .utf8)
        let config = try ClassifyCommands.writeConfig(in: folder, """
            [[feeds]]
            name = "wire"
            url = "credential:wire"
            [[feeds]]
            name = "desk"
            url = "https://desk.example/feed.xml"
            [[feeds]]
            name = "demo"
            url = "\(ClassifyCommands.checkout.appendingPathComponent("config/demo/feeds/drills-demo.xml").path)"
            """)
        let run = try await CLIRunner.run(["feeds", "export", "--config", config.path])
        #expect(run.status == 0 && !run.stdout.contains("SECRET42") && run.stdout.contains("token=***"), "\(run.stdout)")
        #expect(run.stdout.contains("https://desk.example/feed.xml") && !run.stdout.contains("drills-demo.xml"))
        #expect(run.stderr.contains("feed 'wire': its URL holds a credential, written as ***"), "\(run.stderr)")
        #expect(run.stderr.contains("feed 'demo' left out: a local file") && !run.stderr.contains("'desk'"), "\(run.stderr)")
    }
}
