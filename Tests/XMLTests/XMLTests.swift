import Testing
@testable import XML

@Suite struct HTMLToText {
    @Test func dropsScriptsKeepsParagraphs() {
        let html = "<div><p>First  paragraph\n with <b>bold</b> text.</p><script>var x = '<p>no</p>';</script><style>p{}</style><p>Second&nbsp;one &mdash; here.</p><ul><li>one</li><li>two</li></ul>line<br>break</div>"
        #expect(HTMLText.plainText(fromHTML: html) == "First paragraph with bold text.\n\nSecond one \u{2014} here.\n\none\n\ntwo\n\nline\nbreak")
    }

    @Test func plainTextPassesThrough() {
        #expect(HTMLText.plainText(fromHTML: "  just   text \n here ") == "just text here")
    }

    @Test func brokenMarkupStillYieldsText() {
        #expect(HTMLText.plainText(fromHTML: "<p>unclosed <b>bold <i>both</p> after") == "unclosed bold both\n\nafter")
    }

    /// The rules of libxml2's HTML parser that change a fragment's text (checked against it).
    @Test(arguments: [
        // A start tag closes the open element it may not sit in; a stray end tag is ignored.
        ("<p>a<title>b</p><p>c</p>", "a"),
        ("<p>a<title>b</title>c</p>", "a\n\nc"),
        ("<p>a<head>b</p>", "a\n\nb"),
        ("<b>a<body>b</b>", "ab"),
        ("a<title>b<body>c", "ac"),
        ("<p>a</div>b", "ab"),
        ("<div>a<p>b</div>c", "a\n\nb\n\nc"),
        ("<table><tr><td>a</td></tr></table>b</td>c", "a\n\nbc"),
        ("<p>a<td>b</p>c", "a\n\nbc"),
        // Skipped content, raw text and self-closing tags.
        ("<p>a<svg>b</p>c", "a\n\nc"),
        ("a<script>if (x </p> y) '</scripts>'</SCRIPT>b", "ab"),
        ("a<script/>b", "ab"),
        ("a<style>p{}", "a"),
        // Comments, declarations and a `<` that starts nothing.
        ("a<!-- <p>no</p> -->b", "ab"),
        ("a<!DOCTYPE html>b<?php x ?>c", "abc"),
        ("a < b <!x> c", "a < b <!x> c"),
        ("a </ b", "a b"),
        ("<a title='x>y' href=\"q\">link</a>", "link"),
        // References: HTML 4's names (case-sensitive), numbers, and what is not one.
        ("&Eacute;&eacute;&nbsp;x&mdash;&#x44;&#69;&#xfffe;&#0;", "Éé x—DE"),
        ("AT&T &amp;c &unknown; &amp", "AT&T &c &unknown; &amp"),
        ("&lt;&gt;&quot;&apos;&nbsp;&AMP;&Lt;&ampx;", "<>\"' &AMP;&Lt;&ampx;"),
    ])
    func followsLibXML2(_ html: String, _ text: String) {
        #expect(HTMLText.plainText(fromHTML: html) == text)
    }

    /// Where it differs from libxml2 2.9, on purpose: HTML's abrupt comments (`<!-->` is a whole
    /// comment), control characters dropped wherever they are, and a final `&` kept as text.
    @Test func differsFromLibXML2OnPurpose() {
        #expect(HTMLText.plainText(fromHTML: "a<!-->b<!--->c") == "abc")
        #expect(HTMLText.plainText(fromHTML: "a\u{1}b\u{0}c") == "abc")
        #expect(HTMLText.plainText(fromHTML: "R&") == "R&")
    }

    /// C1 controls (U+0080–U+009F) are dropped like C0 ones, written or referenced, wherever
    /// they stand (`&#129;` names no windows-1252 character): feed readers rely on the text
    /// holding no control character but the line feeds between paragraphs.
    @Test func textHoldsNoControlCharacter() {
        #expect(HTMLText.plainText(fromHTML: "a\u{85}b <p>\u{9B}31m</p>&#129;c\u{80}") == "ab\n\n31m\n\nc")
        #expect(HTMLText.plainText(fromHTML: "&#150; dash\u{A0}and «кавычки»") == "\u{2013} dash and «кавычки»")
        var generator = SystemRandomNumberGenerator()
        let pieces = ["<p>", "</p>", "<br>", " ", "\t", "\r\n", "x", "й", "\u{85}", "\u{9F}", "\u{1B}[0m", "&#133;", "&#x9b;",
                      "&#129;", "\u{A0}", "<script>", "</script>", "&amp;", "\u{7F}"]
        for _ in 0..<500 {
            let html = (0..<40).map { _ in pieces.randomElement(using: &generator)! }.joined()
            let text = HTMLText.plainText(fromHTML: html)
            let control = text.unicodeScalars.first { ($0.value < 0x20 && $0 != "\n") || (0x80...0x9F).contains($0.value) }
            #expect(control == nil, "\(html.debugDescription) gave \(text.debugDescription)")
        }
    }

    /// HTML's named references are libxml2's, remembered once found: the same value the first
    /// time and the next, case counted, and nothing for a made-up name.
    @Test func namedReferencesAreLibXML2s() {
        for _ in 0..<2 {
            #expect(LibXML2.htmlEntity(named: "hellip") == 0x2026)
            #expect(LibXML2.htmlEntity(named: "Eacute") == 0xC9)
            #expect(LibXML2.htmlEntity(named: "eacute") == 0xE9)
            #expect(LibXML2.htmlEntity(named: "diams") == 0x2666)
            #expect(LibXML2.htmlEntity(named: "hellipsis") == nil)
        }
        #expect(HTMLText.plainText(fromHTML: "a&hellip;b&Eacute;&eacute;&notanentity;") == "a\u{2026}b\u{C9}\u{E9}&notanentity;")
    }

    @Test func deepNestingKeepsItsText() {
        let html = String(repeating: "<div><span>", count: 5_000) + "deep" + String(repeating: "</span></div>", count: 5_000) + "after"
        #expect(HTMLText.plainText(fromHTML: html) == "deep\n\nafter")
    }
}

@Suite struct Repair {
    func repair(_ text: String, chunk: Int = .max) -> (String, Bool) {
        var repair = XMLRepair()
        var output = ByteBuffer()
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { input in
            var start = 0
            while true {
                var end = min(input.count, start + chunk)
                var isLast = end == input.count
                var used = repair.process(UnsafeBufferPointer(rebasing: input[start..<end]), isLast: isLast, into: &output)
                while used == 0 && !isLast {
                    end = min(input.count, end + chunk)
                    isLast = end == input.count
                    used = repair.process(UnsafeBufferPointer(rebasing: input[start..<end]), isLast: isLast, into: &output)
                }
                start += used
                if isLast { break }
            }
        }
        return (String(decoding: output.bytes, as: UTF8.self), repair.repaired)
    }

    /// A tag keeps its first `maxAttributes` attributes (counted by `=` outside quoted values);
    /// the one whose `=` passes the limit keeps an empty value and the tag ends there, as it
    /// ended. Whole or a byte at a time, a `>` or `=` in a quoted value counts for nothing.
    @Test(arguments: [Int.max, 7, 1])
    func attributesPastTheLimitAreDropped(chunk: Int) {
        let limit = XMLRepair.maxAttributes
        let kept = (0..<limit).map { " a\($0)=\"v>=\"" }.joined()
        let (out, repaired) = repair("<rss><x\(kept) z='1' q=\"2>\" / ><y\(kept) z=a b=c>t</y></rss>", chunk: chunk)
        #expect(out == "<rss><x\(kept) z=\"\"/><y\(kept) z=\"\">t</y></rss>")
        #expect(repaired)
        // At the limit, nothing is cut.
        let (whole, untouched) = repair("<rss><x\(kept)/></rss>", chunk: chunk)
        #expect(whole == "<rss><x\(kept)/></rss>")
        #expect(!untouched)
    }

    /// In an attribute value a reference becomes a numeric one; in an element's text, the
    /// character itself, in a CDATA section that the next markup closes.
    @Test func referencesBecomeCharacterReferences() {
        let (out, repaired) = repair("<a t=\"x &amp; y\">&lt;&nbsp;&mdash;&#65;&#x42;</a>")
        #expect(out == "<a t=\"x &#38; y\"><![CDATA[<\u{A0}\u{2014}AB]]></a>")
        #expect(repaired)  // &nbsp; and &mdash; are not XML
    }

    /// What a section cannot hold as it is: `]]>` (the section is split around it, however
    /// the brackets came: as text, as references, or both) and a carriage return (a section
    /// reads it as a line feed), which stays a reference outside.
    @Test func aSectionSplitsItsEndAndLeavesCarriageReturnsOutside() {
        #expect(repair("<a>x &amp; ]]&gt; y</a>").0 == "<a>x <![CDATA[& ]]]]><![CDATA[> y]]></a>")
        #expect(repair("<a>&lt;b&gt;]]> &lt;]&#93;></a>").0 == "<a><![CDATA[<b>]]]]><![CDATA[> <]]]]><![CDATA[>]]></a>")
        #expect(repair("<a>&lt;]&gt;] &gt;</a>").0 == "<a><![CDATA[<]>] >]]></a>")
        #expect(repair("<a>one&#13;two &amp;&#13;</a>").0 == "<a>one&#13;two <![CDATA[&]]>&#13;</a>")
        // Before the root element nothing is an element's text: references stay numeric.
        #expect(repair("&amp;<a>&amp;</a>").0 == "&#38;<a><![CDATA[&]]></a>")
    }

    @Test func everyKindOfReferenceIsWrittenAsANumber() {
        // The five XML entities, decimal and hexadecimal references of every width (up to the
        // largest code point), a windows-1252 meaning, and references that name no character.
        let (out, repaired) = repair("&quot;&apos;&gt;&amp;&lt;&#9;&#x1F600;&#1114111;&#146;&#x110000;&#xZZ;&#12a;&#;&ampx;")
        #expect(out == "&#34;&#39;&#62;&#38;&#60;&#9;&#128512;&#1114111;&#8217;&#65533;&#65533;&#65533;&#65533;&#38;ampx;")
        #expect(repaired)
        let (plain, notRepaired) = repair("&quot;&apos;&gt;&amp;&lt;&#x41;")
        #expect(plain == "&#34;&#39;&#62;&#38;&#60;&#65;")
        #expect(!notRepaired)
    }

    @Test func wellFormedInputIsNotFlagged() {
        let (out, repaired) = repair("<?xml version=\"1.0\"?><a b='1'><!-- & < --><![CDATA[ & < ]]>&amp;</a>")
        #expect(out == "<?xml version=\"1.0\"?><a b='1'><!-- & < --><![CDATA[ & < ]]><![CDATA[&]]></a>")
        #expect(!repaired)
    }

    @Test func doctypeIsRemovedWithItsSubset() {
        let (out, _) = repair("<!DOCTYPE rss [ <!ENTITY x \"]>\"> ]><rss>&x;</rss>")
        #expect(out == "<rss><![CDATA[&x;]]></rss>")
    }

    /// Tags copied whole (no repair needed) and tags read byte by byte (split by a chunk's end,
    /// or holding `&`, `<` or a control) give the same bytes and the same marks.
    @Test func wholeTagsAndTagsReadByteByByteAgree() {
        let text = """
            <rss xmlns:a="urn:x"><channel><item a:x='1 > 2' b="it's"><title t="a&amp;b">One</title></item>\
            <a:entry><link href="http://x/?a=1&amp;b=2"/></a:entry><item\tc="<">x</item><items/><entry/>\
            <item d="\u{01}"/></channel></rss>
            """
        func run(chunk: Int) -> (String, [XMLRepair.Mark]) {
            var repair = XMLRepair(marking: ["item", "entry"])
            var output = ByteBuffer()
            let bytes = Array(text.utf8)
            bytes.withUnsafeBufferPointer { input in
                var start = 0
                while start < input.count {
                    var end = min(input.count, start + chunk)
                    var used = repair.process(UnsafeBufferPointer(rebasing: input[start..<end]), isLast: end == input.count, into: &output)
                    while used == 0 && end < input.count {
                        end = min(input.count, end + chunk)
                        used = repair.process(UnsafeBufferPointer(rebasing: input[start..<end]), isLast: end == input.count, into: &output)
                    }
                    start += used
                }
            }
            return (String(decoding: output.bytes, as: UTF8.self), repair.marks)
        }
        let (whole, marks) = run(chunk: .max)
        #expect(marks.count == 5)
        #expect(whole.contains("<item a:x='1 > 2' b=\"it's\">"))
        #expect(whole.contains("<link href=\"http://x/?a=1&#38;b=2\"/>"))
        #expect(whole.contains("<item\tc=\"&#60;\">"))
        #expect(whole.contains("<item d=\" \"/>"))
        for size in 1...9 {
            let (chunked, chunkedMarks) = run(chunk: size)
            #expect(chunked == whole, "chunk \(size)")
            #expect(chunkedMarks == marks, "chunk \(size)")
        }
    }

    @Test func chunkingGivesTheSameResult() {
        let text = "<rss><t a=\"&quot;q&quot;\">A &amp; B &nbsp; &unknown; & C < D <!-- x --> <![CDATA[&]]></t></rss>"
        let whole = repair(text)
        for size in 1...12 {
            #expect(repair(text, chunk: size) == whole, "chunk \(size)")
        }
    }
}

@Suite struct HTMLTextEncoding {
    @Test func nonASCIITextSurvives() {
        #expect(HTMLText.plainText(fromHTML: "ЖЖ Chinese and Russian bombers") == "ЖЖ Chinese and Russian bombers")
        #expect(HTMLText.plainText(fromHTML: "<b>ЖЖ</b> Chinese") == "ЖЖ Chinese")
        #expect(HTMLText.plainText(fromHTML: "</title></head><body onload=\"x()\"> Russia and China hold drills") == "Russia and China hold drills")
    }
}

@Suite struct AttributeLimits {
    static func apply(_ text: String, _ limit: Int = 3) -> String? {
        AttributeLimit.apply(Array(text.utf8), maxPerTag: limit).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func tagsWithinTheLimitAreLeftAsTheyAre() {
        #expect(Self.apply("<p a=1 b='2' c=\"3\">x</p><br/>") == nil)
        #expect(Self.apply("text < 5 and a<b c d e f") == nil)  // never ends with `>`: left alone
    }

    @Test func attributesBeyondTheLimitBecomeSpaces() {
        #expect(Self.apply("<p a=1 b=2 c=3 d=4 e=5>x</p>") == "<p a=1 b=2 c=3        >x</p>")
        // `/>` stays; `>` in a quoted value does not end the tag; a quote opens a value only after `=`.
        #expect(Self.apply("<img a=1 b=\"x>y\" c=3 d='4' e=5/>") == "<img a=1 b=\"x>y\" c=3          />")
        #expect(Self.apply("<p a = \"1\" b c d>x") == "<p a = \"1\"      >x")
        // Same length: nothing else in the document moves.
        let page = "<div " + (0..<5_000).map { "a\($0)=\"\($0)\"" }.joined(separator: " ") + "><p>text</p></div>"
        let bounded = AttributeLimit.apply(Array(page.utf8))
        #expect(bounded?.count == page.utf8.count)
        #expect(bounded.map { String(decoding: $0, as: UTF8.self).hasSuffix("   ><p>text</p></div>") } == true)
    }

    @Test func wouldCutTellsWithoutCopying() {
        for text in ["<p a=1 b='2' c=\"3\">x</p>", "<p a=1 b=2 c=3 d=4 e=5>x</p>", "<p a b c d e <q>x</q>", ""] {
            let bytes = Array(text.utf8)
            #expect(bytes.withUnsafeBufferPointer { AttributeLimit.wouldCut($0, maxPerTag: 3) } == (Self.apply(text) != nil), "\(text)")
        }
    }

    /// The scanner passes names, unquoted values and quoted values in runs; on any mix of the
    /// bytes that matter in a tag it must cut exactly where a byte-at-a-time reading does.
    @Test func runsAreReadAsOneByteAtATime() {
        let alphabet = Array("ab= /\"'<>\n".utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            let length = Int.random(in: 0..<40, using: &generator)
            let text = [UInt8(ascii: "<"), UInt8(ascii: "p")] + (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            let expected = Self.referenceCut(text, maxPerTag: 3)
            let actual = AttributeLimit.apply(text, maxPerTag: 3) ?? text
            #expect(actual == expected, "\(String(decoding: text, as: UTF8.self))")
        }
    }

    /// Every start tag of `text` bounded byte by byte, as libxml2 reads a tag (the rule the
    /// scanner keeps).
    private static func referenceCut(_ text: [UInt8], maxPerTag: Int) -> [UInt8] {
        var cut = text
        var start = 0
        while let open = text[start...].firstIndex(of: UInt8(ascii: "<")) {
            start = open + 1
            guard start < text.count, (text[start] | 0x20) >= UInt8(ascii: "a"), (text[start] | 0x20) <= UInt8(ascii: "z") else { continue }
            var (i, tokens, inToken, afterEquals, quote) = (start, 0, true, false, UInt8(0))
            var cutFrom: Int?, lastSlash: Int?
            scan: while i < text.count {
                let byte = text[i]
                if quote != 0 {
                    if byte == quote { quote = 0 }
                } else if byte == UInt8(ascii: ">") {
                    if let from = cutFrom {
                        let to = lastSlash == i - 1 ? i - 1 : i
                        for index in from..<max(from, to) { cut[index] = UInt8(ascii: " ") }
                    }
                    i += 1
                    break scan
                } else if byte == UInt8(ascii: "<") {
                    break scan
                } else if [0x20, 0x09, 0x0A, 0x0D, 0x0C].contains(byte) {
                    inToken = false
                } else {
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'"), afterEquals { quote = byte }
                    if !inToken {
                        inToken = true
                        tokens += 1
                        if tokens > maxPerTag && cutFrom == nil { cutFrom = i }
                    }
                    afterEquals = byte == UInt8(ascii: "=")
                    lastSlash = byte == UInt8(ascii: "/") ? i : nil
                }
                i += 1
            }
            start = i
        }
        return cut
    }

    @Test func whatIsNotATagIsLeftAlone() {
        // Another `<` before the end: not read as one tag.
        #expect(Self.apply("<p a b c d e <q>x</q>") == nil)
        #expect(Self.apply("</p a b c d e>") == nil)   // end tags and comments are not start tags
        #expect(Self.apply("<!-- a b c d e -->") == nil)
    }
}

@Suite struct References {
    @Test(arguments: [
        ("http://example.com/a", true), ("HTTPS://example.com", true), ("mailto:desk@example.com", true),
        ("svn+ssh://host/x", true), ("x-y.z:rest", true), ("urn:isbn:1", true),
        ("/news/1", false), ("news/1:2", false), ("1http://x", false), (":nothing", false), ("", false),
        ("a b:c", false), ("é:x", false), ("?q=a:b", false), ("#top", false), ("no-colon", false),
    ])
    func aSchemeIsLettersThenLettersDigitsAndPlusMinusDotUpToAColon(reference: String, absolute: Bool) {
        #expect(URIResolver.isAbsolute(reference) == absolute)
    }
}

@Suite struct ByteBuffers {
    @Test func appendsGrowAndKeepEveryByte() {
        var buffer = ByteBuffer(capacity: 1)
        var expected: [UInt8] = []
        var generator = 0x2545_F491_4F6C_DD1D as UInt64
        for round in 0..<500 {
            generator = generator &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let run = (0..<Int(generator >> 58)).map { UInt8(truncatingIfNeeded: round &+ $0) }
            run.withUnsafeBufferPointer { buffer.append($0) }
            expected += run
            buffer.append(UInt8(truncatingIfNeeded: round))
            expected.append(UInt8(truncatingIfNeeded: round))
        }
        let (count, bytes, last, seventh) = (buffer.count, buffer.bytes, buffer.last, buffer[7])
        #expect(count == expected.count)
        #expect(bytes == expected)
        #expect(last == expected.last)
        #expect(seventh == expected[7])
    }

    @Test func truncatingKeepsTheFrontAndAppendsAfterIt() {
        var buffer = ByteBuffer()
        buffer.append(contentsOf: Array("paragraph\n\n".utf8))
        buffer.removeLast(2)
        buffer.append(contentsOf: Array(" two".utf8))
        #expect(String(decoding: buffer.bytes, as: UTF8.self) == "paragraph two")
        buffer.truncate(to: 4)
        #expect(String(decoding: buffer.bytes, as: UTF8.self) == "para")
        buffer.removeAll()
        let (empty, last) = (buffer.isEmpty, buffer.last)
        #expect(empty && last == nil)
        buffer.append(UnsafeBufferPointer(start: nil, count: 0))
        let stillEmpty = buffer.isEmpty
        #expect(stillEmpty)
    }
}
