import Foundation
import TestSupport
import Testing

/// `drillwatch extract`, run as a user runs it.
@Suite struct ExtractCommand {
    static let page = """
        <html lang="ru"><head><title>Учения | Вести</title><meta property="og:site_name" content="Вести">
        <meta property="article:published_time" content="2024-07-15T10:00:00+03:00"></head>
        <body><nav><a href="/">Главная</a> <a href="/news">Новости</a></nav>
        <div class="article-body"><p>Корабли ВМФ России и ВМС Китая начали совместные учения в Японском море, сообщило министерство обороны.</p>
        <p>Учения продлятся до пятницы, после чего корабли выйдут в совместное патрулирование.</p></div></body></html>
        """

    @Test func jsonHasTheArticleAndItsMetadata() async throws {
        let path = try CLIRunner.temporaryFile(Self.page)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await CLIRunner.run(["extract", path, "--json", "--url", "https://vesti.example/news/1"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["title"] as? String == "Учения | Вести")
        #expect((object["text"] as? String)?.hasPrefix("Корабли ВМФ России и ВМС Китая начали") == true)
        #expect((object["text"] as? String)?.contains("Главная") == false)
        #expect(object["published"] as? String == "2024-07-15T07:00:00Z")
        #expect(object["language"] as? String == "ru")
        #expect(object["canonical"] as? String == "https://vesti.example/news/1")
        #expect(object["site"] as? String == "Вести")
    }

    @Test func aMissingFileIsAClearError() async throws {
        let run = try await CLIRunner.run(["extract", "/nonexistent/page.html"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("/nonexistent/page.html: no such file"))
    }

    @Test func aDamagedGzipIsAClearError() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("drillwatch-cli-\(UUID()).html.gz").path
        // A gzip header followed by garbage.
        #expect(FileManager.default.createFile(atPath: path, contents: Data([0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03] + Array(repeating: 0xFF, count: 64))))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await CLIRunner.run(["extract", path])
        #expect(run.status == 1)
        #expect(run.stderr.contains("damaged .gz"), "\(run.stderr)")
    }

    /// What is no web page is named: a PDF was printed as mis-decoded bytes, a feed as its
    /// title and nothing else.
    @Test func aDocumentThatIsNoPageIsNamed() async throws {
        let pdf = try CLIRunner.temporaryFile("%PDF-1.4\n%\u{E2}\u{E3}\n1 0 obj\n", suffix: ".pdf")
        defer { try? FileManager.default.removeItem(atPath: pdf) }
        let refused = try await CLIRunner.run(["extract", pdf])
        #expect(refused.status == 1 && refused.stderr.contains("a PDF document, not a web page"), "\(refused.stderr)")
        let feed = ClassifyCommands.checkout.appendingPathComponent("config/demo/feeds/drills-demo.xml").path
        let run = try await CLIRunner.run(["extract", feed])
        #expect(run.status == 1 && run.stderr.contains("a feed, not a web page: `drillwatch inspect` reads its items"), "\(run.stderr)")
    }
}
