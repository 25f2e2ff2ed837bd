import Foundation
import TestSupport
import Testing

/// Feed text that tries to inject HTML, script or Markdown, and GUIDs that try to leave the
/// output folder, through the real binary: scan, then digest. Every file stays inside the
/// output folder, every JSON file parses, and the digest page, opened in headless Chromium
/// without its Content-Security-Policy (so escaping alone is tested), runs nothing injected.
@Suite struct OutputSafety {
    static let probe = "document.body.setAttribute('data-pwned','1');document.title='PWNED'"

    static func hostileFeed() -> String {
        func x(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        let items: [(guid: String, title: String, body: String)] = [
            ("../../../../etc/passwd",
             "<script>\(probe)</script> Chinese and Russian warships begin joint drills in the Sea of Japan",
             "<img src=x onerror=\"\(probe)\"> Russian and Chinese navies began the Joint Sea naval exercise. [click](javascript:alert(1)) ![p](http://127.0.0.1:9/p.png)"),
            (String(repeating: "/..", count: 100),
             String(repeating: "Ж", count: 150) + " Chinese and Russian bombers fly joint patrol over the East China Sea",
             "\"><svg onload=\"\(probe)\"> Two Chinese and two Russian bombers flew a joint air patrol, the defence ministry said."),
            ("<b>x</b>%00\\..\\..\\boot.ini",
             "</title></head><body onload=\"\(probe)\"> Russia and China hold joint naval drills near Vladivostok",
             "# Heading\n<iframe src=javascript:alert(1)></iframe> --- ``` Warships of Russia and China held a joint naval drill."),
        ]
        let entries = items.map { item in
            "<item><guid isPermaLink=\"false\">\(x(item.guid))</guid><title>\(x(item.title))</title>"
                + "<link>javascript:alert(1)</link><pubDate>Mon, 02 Jun 2031 06:00:00 GMT</pubDate>"
                + "<description>\(x(item.body))</description></item>"
        }
        return "<rss version=\"2.0\"><channel><title>&lt;script&gt;\(probe)&lt;/script&gt;</title>\(entries.joined())</channel></rss>"
    }

    @Test func hostileTextStaysInertEverywhere() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dw-safety-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.hostileFeed().write(to: folder.appendingPathComponent("hostile.xml"), atomically: true, encoding: .utf8)
        let config = try ClassifyCommands.writeConfig(in: folder, """
            retention_days = 0
            [digest]
            time_zone = "UTC"
            [[feeds]]
            name = "hostile"
            url = "hostile.xml"
            """)

        let scan = try await CLIRunner.run(["scan", "--config", config.path])
        #expect(scan.status == 0, "\(scan.stderr)")
        let day = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
        let digest = try await CLIRunner.run(["digest", "--config", config.path, "--date", day])
        #expect(digest.status == 0, "\(digest.stderr)")

        // Nothing outside the output folder, nothing with an unusable name inside it.
        let top = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(top == ["drillwatch.toml", "hostile.xml", "output", "state"])
        let output = folder.appendingPathComponent("output").resolvingSymlinksInPath().path
        let files = try FileManager.default.subpathsOfDirectory(atPath: output)
        var alerts = 0
        for path in files {
            let full = (output as NSString).appendingPathComponent(path)
            #expect(URL(fileURLWithPath: full).resolvingSymlinksInPath().path.hasPrefix(output + "/"))
            #expect((path as NSString).lastPathComponent.utf8.count <= 255)
            guard let data = FileManager.default.contents(atPath: full) else { continue }
            if path.hasSuffix(".json") {
                #expect((try? JSONSerialization.jsonObject(with: data)) != nil, "\(path) is not valid JSON")
                if path.hasPrefix("alerts/") { alerts += 1 }
            }
            let text = String(decoding: data, as: UTF8.self)
            if path.hasSuffix(".md") {
                #expect(!text.contains("<script"), "\(path)")
                #expect(!text.contains("<img"), "\(path)")
                #expect(!text.contains("](javascript:"), "\(path)")
            }
            if path.hasSuffix(".html") || path.hasSuffix(".xml") {
                for marker in ["<script", "<img src=x", "<svg", "<iframe", "<body onload", "href=\"javascript:"] {
                    #expect(!text.contains(marker), "\(path) contains \(marker)")
                }
            }
        }
        #expect(alerts == 3)
        // The text itself survives: a local UTF-8 file is read as UTF-8, and a title that opens
        // with stray `</title></head>` still has its words.
        let titles = files.filter { $0.hasPrefix("alerts/") && $0.hasSuffix(".json") }.compactMap { path -> String? in
            let data = FileManager.default.contents(atPath: (output as NSString).appendingPathComponent(path)) ?? Data()
            return (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["title"] as? String
        }
        #expect(titles.contains { $0.hasPrefix("ЖЖЖ") })
        #expect(titles.contains { $0.hasPrefix("Russia and China hold joint naval drills") })
        #expect(!titles.contains { $0.contains("Ð") || $0.isEmpty })

        // The page in a browser, without its CSP: it renders, and no injected code runs.
        let page = folder.appendingPathComponent("output/digests/\(day).html")
        let html = try String(contentsOf: page, encoding: .utf8)
        let bare = html.split(separator: "\n").filter { !$0.contains("Content-Security-Policy") }.joined(separator: "\n")
        #expect(bare != html)
        let unguarded = folder.appendingPathComponent("unguarded.html")
        try bare.write(to: unguarded, atomically: true, encoding: .utf8)
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileManager.default.isExecutableFile) else {
            return  // Debian's chromium is not installed: scripts/browser-check installs and runs it.
        }
        let dom = try await Self.chromium(chromium, ["--dump-dom", unguarded.absoluteString])
        #expect(dom.contains("drillwatch digest"), "the page did not render")
        #expect(!dom.contains("data-pwned"))
        #expect(!dom.contains("<title>PWNED"))
        let shot = folder.appendingPathComponent("digest.png")
        _ = try await Self.chromium(chromium, ["--screenshot=\(shot.path)", "--window-size=1000,1400", page.absoluteString])
        #expect(((try? FileManager.default.attributesOfItem(atPath: shot.path)[.size] as? Int) ?? 0) > 10_000)
    }

    static func chromium(_ binary: String, _ arguments: [String]) async throws -> String {
        // --no-sandbox: tests may run as root, where Chromium's sandbox refuses to start.
        try await Subprocess.run(URL(fileURLWithPath: binary),
                                 ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--virtual-time-budget=3000"] + arguments,
                                 timeout: 120).stdout
    }
}
