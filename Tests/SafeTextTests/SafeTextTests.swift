import SafeText
import Testing

@Suite struct RedactionTests {
    @Test func userinfoIsMasked() {
        #expect(Redaction.url("http://user:PASS@127.0.0.1:8080/feed.xml") == "http://***@127.0.0.1:8080/feed.xml")
        #expect(Redaction.url("https://TOKEN@example.org") == "https://***@example.org")
    }

    @Test func secretQueryValuesAreMasked() {
        #expect(Redaction.url("https://api.example/v2/news?q=drill&apikey=SECRET&page=2")
            == "https://api.example/v2/news?q=drill&apikey=***&page=2")
        #expect(Redaction.url("https://x.example/f?access_token=abc#top") == "https://x.example/f?access_token=***#top")
        #expect(Redaction.url("https://x.example/f?X-Amz-Signature=abc&Sig=1&api_key=2&AccessToken=3&password=4")
            == "https://x.example/f?X-Amz-Signature=***&Sig=***&api_key=***&AccessToken=***&password=***")
        // Names that only look alike are kept: a reader needs to tell the feeds apart.
        #expect(Redaction.url("https://x.example/f?monkey=1&keywords=drill") == "https://x.example/f?monkey=1&keywords=drill")
    }

    @Test func aBotTokenInThePathIsMaskedAndAPlainURLComesBackAsItWas() {
        #expect(Redaction.url("https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage")
            == "https://api.telegram.org/bot***/sendMessage")
        // Neither "@", "?" nor "/bot": nothing is parsed, nothing changes.
        for plain in ["http://127.0.0.1:8080/feeds/a.xml", "https://example.org/news/rss#top", "feeds/local.xml"] {
            #expect(Redaction.url(plain) == plain)
        }
        // "/bot" that is not a token ("/bottom/") is kept by the full reading.
        #expect(Redaction.url("https://example.org/bottom/feed.xml") == "https://example.org/bottom/feed.xml")
    }

    @Test func urlsInsideMessagesAreRedacted() {
        let message = "http://u:PASSWORD@127.0.0.1:9/feed?token=T0K: could not connect (Connection refused); see https://ok.example/x"
        #expect(Redaction.urls(in: message)
            == "http://***@127.0.0.1:9/feed?token=***: could not connect (Connection refused); see https://ok.example/x")
        #expect(Redaction.urls(in: "'http://a:b@h/' is not a valid URL") == "'http://***@h/' is not a valid URL")
        #expect(Redaction.urls(in: "no url here") == "no url here")
    }
}

@Suite struct NeutralizerTests {
    @Test func controlC1AndBidiCharactersBecomeVisible() {
        let hostile = "a\u{1B}[31mred\u{9B}2J\u{9D}0;title\u{07}\u{202E}cod.exe\u{2028}key=value\u{0}"
        let shown = Neutralizer.escape(hostile)
        #expect(!shown.unicodeScalars.contains { Neutralizer.needsEscape($0) })
        #expect(shown == "a\\u{1B}[31mred\\u{9B}2J\\u{9D}0;title\\u{7}\\u{202E}cod.exe\\u{2028}key=value\\u{0}")
    }

    @Test func textModeKeepsLineBreaksButNotCarriageReturns() {
        #expect(Neutralizer.escape("one\ntwo\r\tthree", .text) == "one\ntwo\\r\tthree")
        #expect(Neutralizer.escape("one\ntwo", .line) == "one\\ntwo")
    }

    @Test func ordinaryTextIsUntouched() {
        let text = "Учения «Морское взаимодействие-2025» 中俄联合演习 — Joint Sea"
        #expect(Neutralizer.escape(text) == text)
    }

    @Test func logValuesCannotForgePairs() {
        #expect(Display.logValue("0.104") == "0.104")
        #expect(Display.logValue("feed failed alert=1") == "\"feed failed alert=1\"")
        // The escape's backslash is doubled inside quotes: `\\u{2028}` reads back as `\u{2028}`.
        #expect(Display.logValue("say \"hi\"\u{2028}level=error") == #""say \"hi\"\\u{2028}level=error""#)
        #expect(Display.logValue("") == "\"\"")
        #expect(Display.logValue("http://u:p@h/f?sig=1") == #""http://***@h/f?sig=***""#)
    }
}
