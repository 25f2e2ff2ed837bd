import Foundation
import TestSupport
import Testing
@testable import Feeds

/// Russian and Chinese sources matter for this mission: every legacy encoding they use must
/// come out as correct UTF-8.
@Suite struct Encodings {
    static let russian = "Совместные учения России и Китая \"Морское взаимодействие\""
    static let chinese = "中俄海上联合军事演习在日本海举行"

    @Test(arguments: [
        ("windows-1251.xml", "windows-1251", russian),
        ("koi8-r.xml", "koi8-r", russian),
        ("iso-8859-5.xml", "iso-8859-5", russian),
        ("gb2312.xml", "gb18030", chinese),
        ("gbk.xml", "gb18030", chinese),
        ("gb18030.xml", "gb18030", chinese),
        ("big5.xml", "big5", "中俄海上聯合軍事演習在日本海舉行"),
        ("shift_jis.xml", "shift_jis", "中露合同演習が日本海で実施された"),
        ("euc-kr.xml", "euc-kr", "중국과 러시아 합동 해상 훈련"),
        ("iso-8859-1.xml", "iso-8859-1", "Exercício naval conjunto em Vladivostok"),
        ("utf-16le.xml", "utf-16le", russian),
        ("utf-16be.xml", "utf-16be", chinese),
        ("utf-16le-bom.xml", "utf-16le", russian),
        ("utf-16be-bom.xml", "utf-16be", chinese),
        ("utf-32le.xml", "utf-32le", russian),
        ("utf-8-bom.xml", "utf-8", russian),
    ])
    func declaredEncodingDecodes(file: String, encoding: String, title: String) throws {
        let document = try FeedParser.parse(Fixture.bytes("encodings/" + file))
        #expect(document.feed.title == title)
        #expect(document.encoding == encoding)
        #expect(!document.bozo, "\(document.bozoReason ?? "")")
        if let entry = document.entries.first {
            #expect(entry.title == title)
            #expect(entry.text == title)
        }
    }

    @Test(arguments: [
        ("undeclared-windows-1251.xml", "windows-1251", russian),
        ("undeclared-koi8-r.xml", "koi8-r", russian),
        ("undeclared-gb18030.xml", "gb18030", chinese),
    ])
    func undeclaredLegacyEncodingIsGuessed(file: String, encoding: String, title: String) throws {
        let document = try FeedParser.parse(Fixture.bytes("encodings/" + file))
        #expect(document.encoding == encoding)
        #expect(document.feed.title == title)
        // Not valid UTF-8 and not declared: recovered, so flagged.
        #expect(document.bozo)
    }

    @Test func httpCharsetOutranksTheDeclaration() throws {
        let bytes = try Fixture.bytes("encodings/http-charset-overrides.xml")
        let document = try FeedParser.parse(bytes, source: FeedSource(
            url: "http://example.com/feed", headers: ["Content-Type": "application/rss+xml; charset=windows-1251"]))
        #expect(document.encoding == "windows-1251")
        #expect(document.feed.title == Self.russian)
        #expect(!document.bozo)
    }

    /// A server that sends no Content-Type gets HTTP's ISO-8859-1 default only when the bytes
    /// are not valid UTF-8 with non-ASCII in them (found reading a hostile local feed).
    @Test func noContentTypeButValidUTF8IsUTF8() throws {
        let bytes = Array("<rss version=\"2.0\"><channel><title>Совместные учения</title></channel></rss>".utf8)
        let document = try FeedParser.parse(bytes, source: FeedSource(url: "http://example.com/feed", headers: ["Server": "x"]))
        #expect(document.feed.title == "Совместные учения")
        #expect(document.encoding == "utf-8")
        let ascii = try FeedParser.parse(Array("<rss version=\"2.0\"><channel><title>A</title></channel></rss>".utf8),
                                         source: FeedSource(url: "http://example.com/feed", headers: ["Server": "x"]))
        #expect(ascii.encoding == "iso-8859-1")
    }

    @Test func windows1252PunctuationInLatin1IsRestored() throws {
        let xml = "<rss version=\"2.0\"><channel><item><description>don\u{92}t &#147;quote&#148;</description></item></channel></rss>"
        let document = try FeedParser.parse(Array(xml.utf8))
        #expect(document.entries.first?.summary == "don\u{2019}t \u{201C}quote\u{201D}")
    }

    @Test func invalidUTF8WithoutDeclarationFallsBackAndFlags() throws {
        var bytes = Array("<rss version=\"2.0\"><channel><title>Caf".utf8)
        bytes += [0xE9] + Array(" cr\u{E8}me".utf8) + Array("</title></channel></rss>".utf8)
        let document = try FeedParser.parse(bytes)
        #expect(document.bozo)
        #expect(document.feed.title?.hasPrefix("Café") == true)
    }

    @Test func utf8ValidatorRejectsOverlongAndSurrogates() {
        #expect(UTF8Validation.isValid(Array("plain ascii and ünïcödé 中文 🙂".utf8)))
        #expect(!UTF8Validation.isValid([0xC0, 0xAF]))            // overlong '/'
        #expect(!UTF8Validation.isValid([0xED, 0xA0, 0x80]))      // surrogate D800
        #expect(!UTF8Validation.isValid([0xF4, 0x90, 0x80, 0x80])) // > U+10FFFF
        #expect(!UTF8Validation.isValid([0xE4, 0xB8]))            // truncated
    }

    /// The common declaration is read from the bytes; where that finds an encoding, the regular
    /// expression (which reads any declaration) finds the same: on every conformance file and
    /// on awkward declarations.
    @Test func theQuickReadingAgreesWithTheExpression() throws {
        var heads: [[UInt8]] = [
            "<?xml version='1.0' encoding = \"ISO-8859-5\"?>", "\u{FEFF}  <?xml encoding='koi8-r'?>",
            "<?xml version=\"1.0\"?><rss encoding=\"utf-8\">", "<?xml version=\"1.0\" encoding=\"\"?>",
            "<?xml version=\"1.0\" encodings=\"x\" encoding=\"windows-1251\"?>", "<!-- c --><?xml encoding=\"gb2312\"?>",
            "<?xml version=\"1.0\" encoding=\"utf-8'?>", "<?xml version=\"1.0\" encoding=\"bad name\"?>",
        ].map { Array($0.utf8) }
        if let folder = SharedData.url("conformance") {
            for case let url as URL in FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)!
            where ["xml", "rss", "atom", "rdf"].contains(url.pathExtension) {
                heads.append(Array(try Data(contentsOf: url).prefix(1024)))
            }
        }
        var read = 0
        for head in heads {
            guard let quick = DocumentEncoding.plainDeclaredEncoding(head) else { continue }
            read += 1
            #expect(quick == DocumentEncoding.expressionDeclaredEncoding(head), "\(String(decoding: head.prefix(80), as: UTF8.self))")
        }
        #expect(read >= 5)
    }

    @Test func contentTypesAreReadAsServersWriteThem() {
        #expect(DocumentEncoding.parseContentType(" Application/RSS+XML ;\tCharset = \"Windows-1251\" ") == ("application/rss+xml", "windows-1251"))
        #expect(DocumentEncoding.parseContentType("text/xml; format=flowed; charset='koi8-r'") == ("text/xml", "koi8-r"))
        #expect(DocumentEncoding.parseContentType("text/html; charset=") == ("text/html", nil))
        #expect(DocumentEncoding.parseContentType("; charset=utf-8") == ("", "utf-8"))
        #expect(DocumentEncoding.parseContentType(" \t ") == (nil, nil))
        #expect(DocumentEncoding.parseContentType(nil) == (nil, nil))
    }
}
