import Foundation
import Testing
import TestSupport
@testable import Article
import Feeds

@Suite struct Extraction {
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil))
        return Array(try Data(contentsOf: url))
    }

    @Test func findsTheArticleAmongTheBoilerplate() throws {
        let article = ArticleExtractor.extract(try Self.fixture("news.html"), url: "https://harbour.example/world/x?utm=1")
        let paragraphs = article.text.components(separatedBy: "\n\n")
        #expect(paragraphs.first?.hasPrefix("The navies of China and Russia began the Joint Sea-2024 exercise") == true)
        #expect(paragraphs.contains("A joint patrol to follow"))
        #expect(paragraphs.contains { $0.hasPrefix("After the drill, ships of both navies") })
        for boilerplate in ["Home", "Most read", "Markets fall", "Share on Twitter", "Read more", "First!", "All rights reserved",
                            "A destroyer leaves port", "By A. Reporter"] {
            #expect(!article.text.contains(boilerplate), "\(boilerplate) is not the article")
        }
        // The headline is the title, not the body's first paragraph.
        #expect(!article.text.contains("begin Joint Sea-2024 off Qingdao"))
        #expect(article.lede?.hasPrefix("The navies of China and Russia") == true)
    }

    @Test func readsTheMetadata() throws {
        let article = ArticleExtractor.extract(try Self.fixture("news.html"), url: "https://harbour.example/world/x?utm=1")
        #expect(article.title == "Chinese and Russian navies begin Joint Sea-2024 off Qingdao")
        #expect(article.published.map(FeedDate.format) == "2024-07-14T22:00:00Z")
        #expect(article.language == "en-gb")
        #expect(article.canonical == "https://harbour.example/world/2024/07/joint-sea")
        #expect(article.site == "Harbour Times")
        #expect(article.encoding == "utf-8")
    }

    @Test func findsAChineseArticle() throws {
        let article = ArticleExtractor.extract(try Self.fixture("zh.html"))
        let paragraphs = article.text.components(separatedBy: "\n\n")
        #expect(paragraphs.count == 2)
        #expect(paragraphs.first?.hasPrefix("7月14日，中俄“海上联合-2024”联合演习在广东湛江某军港开幕") == true)
        for boilerplate in ["首页", "相关新闻", "国防部举行例行记者会", "版权所有"] {
            #expect(!article.text.contains(boilerplate), "\(boilerplate) is not the article")
        }
        #expect(article.language == "zh-cn")
        #expect(article.published.map(FeedDate.format) == "2024-07-14T09:30:00Z")
    }

    @Test func decodesALegacyCharsetDeclaredInTheMarkup() throws {
        let article = ArticleExtractor.extract(try Self.fixture("ru-1251.html"))
        #expect(article.encoding == "windows-1251")
        #expect(article.text.hasPrefix("Корабли ВМФ России и ВМС НОАК начали совместные учения «Морское взаимодействие-2024»"))
        #expect(article.title == "Учения")
    }

    @Test func theHTTPCharsetOutranksThePage() throws {
        let page = Array("<html><head><meta charset=\"windows-1251\"></head><body><p>".utf8)
            + Array("Ученья флотов России и Китая в Жёлтом море, по словам министерства, продлятся неделю.".utf8) + Array("</p></body></html>".utf8)
        let article = ArticleExtractor.extract(page, contentType: "text/html; charset=utf-8")
        #expect(article.encoding == "utf-8")
        #expect(article.text.contains("Ученья флотов России"))
    }

    @Test func takesAFullerJSONLDBodyEvenWhenEscapedTwice() throws {
        let article = ArticleExtractor.extract(try Self.fixture("jsonld.html"))
        #expect(article.text == "7月14日，中俄“联合-2024”海上联合演习在广东湛江开幕，双方舰艇、飞机参加演习。\n\n演习将持续至7月17日，随后双方舰艇将进行第四次海上联合巡航。")
        #expect(article.title == "中俄“联合-2024”海上联合演习在湛江开幕")
        #expect(article.language == "zh-cn")
        #expect(article.site == "南方日报")
        #expect(article.published.map(FeedDate.format) == "2024-07-14T01:30:00Z")
    }

    @Test func aTeaserInJSONLDDoesNotReplaceTheFullText() {
        let body = String(repeating: "The drill continued for a second day, with ships practising air defence. ", count: 10)
        let page = """
            <html><head><script type="application/ld+json">{"@type": "NewsArticle", "articleBody": "The drill continued."}</script>
            </head><body><div class="article-body"><p>\(body)</p></div></body></html>
            """
        #expect(ArticleExtractor.extract(Array(page.utf8)).text == body.trimmingCharacters(in: .whitespaces))
    }

    static let hostilePages = [
        "", "<", "\u{0}\u{1}\u{2}", "<html><body></body></html>", "<meta charset=\"no-such-charset\"><p>x</p>",
        "<script type=\"application/ld+json\">{not json</script>", String(repeating: "<div>", count: 5_000) + "deep text",
        "<script type=\"application/ld+json\">" + String(repeating: "[", count: 10_000) + "</script>",
        "<link rel=canonical href=\"javascript:alert(1)\"><p>x</p>",
        // More distinct names than a tag table holds: 70,000 attributes, then elements.
        "<div " + (0..<70_000).map { "a\($0)=1" }.joined(separator: " ") + "><p>x</p></div>",
        "<p>x</p>" + (0..<70_000).map { "<e\($0)>" }.joined() + "y",
        String(repeating: "<a href=\"/x\">link</a> ", count: 120_000),
    ]

    @Test func hostilePagesGiveAnArticleNotACrash() {
        for (index, page) in Self.hostilePages.enumerated() {
            let article = ArticleExtractor.extract(Array(page.utf8), url: "javascript:alert(1)")
            #expect(!article.text.utf8.contains(0), "page \(index)")
            #expect(article.canonical == nil, "page \(index): \(article.canonical ?? "")")
        }
        #expect(ArticleExtractor.extract(Array("<p>x</p>".utf8), url: "https://a.example/1").canonical == "https://a.example/1")
    }

    /// The pages of `../shared/extraction` against the body a person marked, by the
    /// benchmark's measure (4-word shingles, precision and recall averaged over pages). The
    /// figures are printed by `scripts/bench-extract`; this keeps a floor under them.
    @Test func sharedPagesStayAboveTheFloor() throws {
        guard let folder = SharedData.url("extraction") else {
            print("skipped: ../shared/extraction is not present beside this checkout")
            return
        }
        let truth = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("ground-truth.json")))
            as? [String: [String: Any]] ?? [:]
        var precision: [Double] = [], recall: [Double] = []
        for key in truth.keys.sorted() {
            let bytes = try PageFile.read(folder.appendingPathComponent("html/\(key).html.gz").path)
            let predicted = Shingles(ArticleExtractor.extract(bytes).text)
            let expected = Shingles(truth[key]?["articleBody"] as? String ?? "")
            let common = predicted.common(with: expected)
            if predicted.count > 0 { precision.append(Double(common) / Double(predicted.count)) }
            if expected.count > 0 { recall.append(Double(common) / Double(expected.count)) }
        }
        let p = precision.reduce(0, +) / Double(precision.count), r = recall.reduce(0, +) / Double(recall.count)
        let f1 = 2 * p * r / (p + r)
        print("extraction on \(recall.count) shared pages: P \(p) R \(r) F1 \(f1)")
        #expect(f1 >= 0.95)
    }
}

/// The benchmark's multiset of 4-word shingles (words: runs of letters, digits and `_`).
struct Shingles {
    private var counts: [[Substring]: Int] = [:]
    private(set) var count = 0

    init(_ text: String) {
        let words = text.split { !($0.isLetter || $0.isNumber || $0 == "_") }
        guard !words.isEmpty else { return }
        for start in 0..<max(1, words.count - 3) {
            counts[Array(words[start..<min(words.count, start + 4)]), default: 0] += 1
            count += 1
        }
    }

    func common(with other: Shingles) -> Int {
        counts.reduce(0) { $0 + min($1.value, other.counts[$1.key] ?? 0) }
    }
}

/// Script and style content is passed over rather than read by libxml2 (`skipRawText`): the
/// tree must be the one libxml2 builds when it reads that content itself, wherever the
/// content ends and however it is written.
@Suite struct RawTextSkipping {
    static func dump(_ page: String) -> String {
        dump(Array(page.utf8))
    }

    static func dump(_ bytes: [UInt8], skipping: Bool = true) -> String {
        let (tree, head) = PageTree.build(utf8: bytes, skippingRawText: skipping)
        var lines: [String] = []
        func walk(_ node: Int, _ depth: Int) {
            let line = tree.isText(node) ? "\"" + tree.withText(node) { String(decoding: $0, as: UTF8.self) } + "\""
                : "<\(tree.name(node)) \(tree.hintText(node))>"
            lines.append(String(repeating: " ", count: depth) + line)
            for child in tree.children(node) { walk(child, depth + 1) }
        }
        walk(PageTree.document, 0)
        return lines.joined(separator: "\n") + "\ntitle: \(head.title ?? "-")\njson-ld: \(head.jsonLD)\nmeta: \(head.meta.sorted { $0.key < $1.key })"
    }

    static let pages = [
        "<p>before</p><script>var a = '<p>not text</p>';</script><p>after</p>",
        "<p>a</p><SCRIPT type=text/javascript>x</SCRIPT><p>b</p>",
        "<p>a</p><script>if (a</b) {}</script><p>b</p>",
        "<p>a</p><script>document.write('</scr' + 'ipt>')</script><p>b</p>",
        "<p>a</p><script>x</scriptx><p>b</p>",
        "<p>a</p><script>x</Script ><p>b</p>",
        "<p>a</p><script src=\"/x.js\"/><p>b</p>",
        "<p>a</p><script src='/x.js' data-x=\">\"></script><p>b</p>",
        "<p>a</p><script></script><p>b</p>",
        "<p>a</p><script>x",
        "<p>a</p><script>",
        "<p>a</p><script>x<",
        "<p>a</p><script>x</",
        "<p>a</p><script>x</scr",
        "<head><style>p { color: red } </style><style media=print>.x{}</STYLE></head><body><p>b</p></body>",
        "<p>a</p><style><p>not text</p></style><p>b</p>",
        "<p>a</p><!-- <script> --><p>b</p><script>y</script><p>c</p>",
        "<p title=\"<script>\">a</p><p>b</p>",
        "<script type=\"application/ld+json\">{\"articleBody\": \"<p>kept</p>\"}</script><p>b</p>",
        "<title>T</title><script>t</script><meta name=description content=d><p>b</p>",
        "<p>a<script>x</script>b</p><textarea><script>y</script></textarea><p>c</p>",
        "<svg><script>x</script><style>y</style></svg><p>d</p>",
        "<p>Москва<script>ё</script>北京</p>",
    ]

    @Test func theTreeIsTheOneLibXML2BuildsReadingTheContentItself() {
        for page in Self.pages {
            #expect(Self.dump(Array(page.utf8), skipping: true) == Self.dump(Array(page.utf8), skipping: false), "\(page)")
        }
        #expect(Self.dump(Self.pages[0]).contains("\"after\""))
        #expect(!Self.dump(Self.pages[0]).contains("not text"))
        // It did pass over the content (libxml2 2.9 stands on the start tag's `>`).
        #expect(PageTree.build(utf8: Array(Self.pages[0].utf8)).head.rawTextSkipped == "var a = '<p>not text</p>';".utf8.count)
    }

    @Test func everySharedPageGivesTheSameTree() throws {
        guard let folder = SharedData.url("extraction/html") else {
            print("skipped: ../shared/extraction is not present beside this checkout")
            return
        }
        var pages = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() where name.hasSuffix(".html.gz") {
            let bytes = try PageFile.read(folder.appendingPathComponent(name).path)
            pages += 1
            #expect(Self.dump(bytes, skipping: true) == Self.dump(bytes, skipping: false), "\(name)")
        }
        #expect(pages > 100)
    }
}

/// The page tree's links: children kept in order and consistent from both ends while nodes
/// are detached and inline runs wrapped.
@Suite struct PageTreeLinks {
    static func names(_ tree: PageTree, _ nodes: [Int]) -> [String] {
        nodes.map { tree.isText($0) ? "#" + tree.withText($0) { String(decoding: $0, as: UTF8.self) } : tree.name($0) }
    }

    /// The children as the backward links see them, reversed: the same list when consistent.
    static func backwards(_ tree: PageTree, _ node: Int) -> [Int] {
        var out: [Int] = []
        var child = tree.lastChild(node)
        while child != PageTree.none { out.insert(child, at: 0); child = tree.previous(child) }
        return out
    }

    @Test func inlineRunsBecomeParagraphsBetweenBlocks() throws {
        var (tree, _) = PageTree.build(utf8: Array("<body><div>a<b>b</b><p>p</p>c<span> </span><ul><li>i</li></ul> </div></body>".utf8))
        let div = try #require(tree.first(.div))
        tree.measure(PageTree.document)
        tree.wrapInlineRuns(div)
        #expect(Self.names(tree, tree.children(div)) == ["p", "p", "p", "ul", "# "])
        let first = tree.children(div)[0]
        #expect(Self.names(tree, tree.children(first)) == ["#a", "b"])
        #expect(tree.children(first).allSatisfy { tree.parent($0) == first })
        #expect(Self.backwards(tree, div) == tree.children(div))
    }

    @Test func detachingKeepsTheOthersInOrder() throws {
        var (tree, _) = PageTree.build(utf8: Array("<body><div><p>1</p><p>2</p><p>3</p><p>4</p></div></body>".utf8))
        let div = try #require(tree.first(.div))
        let paragraphs = tree.children(div)
        tree.detach(paragraphs[1])
        #expect(tree.children(div) == [paragraphs[0], paragraphs[2], paragraphs[3]])
        tree.detach(paragraphs[0])
        tree.detach(paragraphs[3])
        #expect(tree.children(div) == [paragraphs[2]] && Self.backwards(tree, div) == [paragraphs[2]])
        #expect(tree.parent(paragraphs[0]) == PageTree.none)
        // A detached node keeps what is inside it, and is gone from every walk of the page.
        #expect(Self.names(tree, tree.children(paragraphs[0])) == ["#1"])
        #expect(!tree.descendants(PageTree.document).contains(paragraphs[0]))
        tree.detach(paragraphs[2])
        #expect(tree.children(div).isEmpty && tree.firstChild(div) == PageTree.none && tree.lastChild(div) == PageTree.none)
    }
}
