import Foundation
import Model
import Pipeline
import TestSupport
import Testing
@testable import Classifier

/// The classifier with the shipped rules and corpus, on invented articles and the seeds.
@Suite struct Verdicts {
    static let article = """
        Chinese and Russian warships began a joint naval exercise in the Sea of Japan on Monday, the Chinese defence ministry said.

        The drills, code-named Joint Sea-2031, involve destroyers, frigates, submarines and anti-submarine aircraft from both navies and will last five days.

        The ministry said the exercise was planned under an annual cooperation agreement and was not aimed at any third party.

        Russian Pacific Fleet ships sailed from Vladivostok to join the Chinese flotilla, the Russian defence ministry said in a statement.

        Japan's defence ministry said it was monitoring the ships closely.
        """

    static func item(_ id: String, _ title: String, _ body: String, days: Double = 0) -> Item {
        Item(id: id, title: title, text: body, published: Date(timeIntervalSince1970: 1_900_000_000 + days * 86400))
    }

    /// Whether `rule` fires on an item that is only the headline `title`.
    static func headline(_ title: String, fires rule: String, in classifier: Classifier) -> Bool {
        classifier.judge(item("h", title, "")).rules.contains { $0.name == rule }
    }

    @Test func jointDrillIsAnExplainedAlert() throws {
        let classifier = try Shipped.classifier()
        let verdict = classifier.judge(Self.item("a", "China and Russia begin Joint Sea-2031 naval drills", Self.article))
        #expect(verdict.kind == .alert)
        #expect(verdict.score >= 0.9)
        let names = verdict.rules.map(\.name)
        #expect(names.contains("drill-with-china-and-russia"))
        #expect(names.contains("named-bilateral-exercise"))
        let named = try #require(verdict.rules.first { $0.name == "named-bilateral-exercise" })
        #expect(named.matched.contains("Joint Sea"))
        #expect(verdict.similar.count == 3)
        #expect(verdict.similar.allSatisfy { $0.score > 0 && !$0.terms.isEmpty })
        #expect(verdict.story != nil)
        #expect(verdict.facts.exercise == "Joint Sea-2031")
        #expect(verdict.facts.places.prefix(2) == ["Sea of Japan", "Vladivostok"])
        #expect(verdict.facts.countries.prefix(2) == ["China", "Russia"])
        #expect(verdict.facts.headline == "Joint Sea-2031 · Sea of Japan · Vladivostok")
    }

    @Test(arguments: [
        ("Schools hold earthquake drills across the prefecture", "Pupils practised evacuation as part of the annual earthquake drill. Teachers said China and Russia had sent observers."),
        ("Offshore drilling finds new oil reservoir", "The company said drilling at the offshore well near the Chinese coast found oil; a Russian partner holds a stake."),
        ("Bombers beat Chargers in overtime", "The Bombers football team won the league game after a late touchdown."),
    ])
    func trapsAreVetoedOrIgnored(title: String, body: String) throws {
        let verdict = try Shipped.classifier().judge(Self.item("t", title, body))
        #expect(verdict.kind == .ignore)
    }

    @Test func diplomacyWithoutDrillsIsNotAnAlert() throws {
        let verdict = try Shipped.classifier().judge(Self.item("d", "Xi and Putin sign trade deal at Moscow summit",
            "Chinese President Xi Jinping and Russian President Vladimir Putin signed agreements on energy and trade. The leaders praised their strategic partnership."))
        #expect(verdict.kind == .ignore)
        #expect(verdict.rules.contains { $0.name == "headline-other-topic" && $0.effect == .lower })
    }

    /// Where the civil and oil-drilling vetoes stop: police and disaster relief are civil, but
    /// China's armed police beside Russia's National Guard hold military drills, and "the drills
    /// can well be seen as …" of a bomber exercise is no oil well.
    @Test func civilAndDrillingVetoesStopAtTheForces() throws {
        let classifier = try Shipped.classifier()
        func vetoes(_ title: String, _ body: String) -> [String] {
            classifier.judge(Self.item("v", title, body)).rules.filter { $0.effect == .veto }.map(\.name)
        }
        #expect(vetoes("Chinese and Russian police stage joint anti-terror drill",
                       "Police from China and Russia held a joint anti-terrorism drill in Inner Mongolia on Monday.") == ["civil-agencies-headline"])
        #expect(vetoes("Disaster drill meant to boost cooperation",
                       "Relief teams from China, Russia and other SCO states held a joint disaster-relief drill.") == ["civil-agencies-headline"])
        #expect(vetoes("Russia's National Guard and Chinese police to stage anti-terror exercise in Siberia",
                       "Russia's National Guard and China's People's Armed Police will hold a joint anti-terror exercise in Siberia.").isEmpty)
        #expect(vetoes("China and Russia hold joint strategic aviation exercises",
                       "Russian and Chinese strategic bombers held joint exercises; the drills can well be seen as a show of force.").isEmpty)
        #expect(vetoes("Gas company begins drilling its first exploratory well",
                       "The company said drilling of the well in the Sea of Okhotsk began on Monday.") == ["oil-and-gas-drilling"])
    }

    /// Other forces drilling in answer to China and Russia: the headline's drill is theirs. Not a
    /// headline where China and Russia fly and a third country protests, nor one where the third
    /// country is the backdrop ("Amid US tensions, …", "… as South Korea scrambles jets").
    @Test func drillsInAnswerToChinaAndRussiaAreTheOthers() throws {
        let classifier = try Shipped.classifier()
        let inAnswer = { Self.headline($0, fires: "headline-drill-in-answer", in: classifier) }
        #expect(inAnswer("Japanese and US marines stage combat drills as China and Russia cause concern"))
        #expect(inAnswer("US and Japan put fighter jets in the air after Russia-China military drill"))
        #expect(!inAnswer("Tokyo protests as Russian and Chinese warplanes fly close to Japan"))
        #expect(!inAnswer("Amid US tensions, Russia starts war games with China"))
        #expect(!inAnswer("Beijing, Moscow stage joint exercise as South Korea scrambles jets"))
        let answer = classifier.judge(Self.item("b", "US and Japanese aircraft drill together days after China-Russia patrols",
            "US and Japanese fighter jets held a joint exercise over the Sea of Japan, the Japanese defence ministry said on Thursday."))
        // A learnt weight: it lowers the score, and the lead decides the rest.
        #expect(answer.rules.contains { $0.name == "headline-drill-in-answer" && $0.effect == .lower })
    }

    /// A drill told as training, in a headline naming both countries; a freight train between
    /// them is no training (the rule reads "training" as written, not by its stem).
    @Test func trainingTogetherIsADrillWordInAHeadline() throws {
        let classifier = try Shipped.classifier()
        let training = { Self.headline($0, fires: "headline-training-together", in: classifier) }
        #expect(training("China publishes video of its Pacific and Arctic training with Russia"))
        #expect(training("Вооруженная полиция Китая и внутренние войска МВД России начали совместную тренировку в Пекине"))
        #expect(training("中俄海军开展联合训练"))
        #expect(!training("First China-Russia freight train crosses the new Amur bridge"))
        #expect(!training("Chinese pilots complete training in Kazakhstan"))
    }

    /// Aerospace Security, the two countries' computer-simulated missile-defence exercise, is a
    /// joint series the facts know, with its year; the words alone are everyday ones.
    @Test func aerospaceSecurityIsAJointSeries() throws {
        let classifier = try Shipped.classifier()
        let named = classifier.judge(Self.item("a", "Russian-Chinese Aerospace Security-2017 gets under way in Beijing",
            "Russian and Chinese forces began a six-day computer-simulated missile defence exercise in Beijing."))
        #expect(named.facts.exercise == "Aerospace Security-2017")
        #expect(named.kind == .alert)
        let everyday = classifier.judge(Self.item("b", "Aerospace security cooperation on the agenda",
            "Officials discussed aerospace security and trade."))
        #expect(everyday.facts.exercise == nil)
    }

    /// Chinese positions are character bigrams, two to a word: the countries at the head of a
    /// list of five take part in the exercise at its end as the last one does. Across a
    /// sentence they still do not.
    @Test func everyCountryOfAChineseListTakesPart() throws {
        let classifier = try Shipped.classifier()
        let listed = classifier.judge(Self.item("l", "上合组织联合军演首阶段落幕",
            "中国、俄罗斯、哈萨克斯坦、吉尔吉斯斯坦、塔吉克斯坦五国军队参加的上合组织成员国联合反恐演习已进行到第三天。"))
        #expect(listed.facts.countries == ["China", "Russia", "Kazakhstan", "Kyrgyzstan", "Tajikistan"], "\(listed.facts.countries)")
        let apart = classifier.judge(Self.item("a", "边境地区天气晴朗",
            "俄罗斯代表团抵达北京访问。印度与泰国军队在清迈举行联合反恐演习。"))
        #expect(!apart.facts.countries.contains("Russia"), "\(apart.facts.countries)")
    }

    /// A country next to a patrol word takes part in every language, as next to a drill word:
    /// Russian bombers that «патрулировали» beside Chinese aircraft, a Chinese body's 军演 or
    /// 巡航. Invented texts whose headlines name neither country.
    @Test func aPatrolWordMakesACountryTakePartInEveryLanguage() throws {
        let classifier = try Shipped.classifier()
        for (title, body) in [
            ("Ночной полет над морем", "По данным Минобороны Японии, два российских стратегических бомбардировщика в течение восьми часов патрулировали небо вместе с китайскими самолетами."),
            ("东海上空的一天", "两架俄罗斯轰炸机与中国轰炸机在东海上空进行联合巡航，历时八小时。"),
            ("远东的一周", "俄罗斯军队与中国军队本周在远东举行军演，双方共出动兵力三千人。"),
        ] {
            let countries = classifier.judge(Self.item("p", title, body)).facts.countries
            #expect(countries.contains("Russia") && countries.contains("China"), "\(title): \(countries)")
        }
    }

    /// A place of China or Russia near a drill word is its country taking part, when the text
    /// does not name that country itself: the forces of a region are its country's. Far from
    /// any drill word, a place is only where something happened.
    @Test func aPlaceOfOneCountryNearADrillMakesItTakePart() throws {
        let classifier = try Shipped.classifier()
        let drill = classifier.judge(Self.item("v", "Учения у причала",
            "Во Владивостоке начались совместные учения с китайскими военными моряками, они продлятся три дня."))
        #expect(drill.facts.countries.contains("Russia") && drill.facts.countries.contains("China"), "\(drill.facts.countries)")
        let apart = classifier.judge(Self.item("t", "Туристы и погода",
            "Китайские туристы всё чаще приезжают во Владивосток летом, говорят в мэрии. " + String(repeating: "Погода стоит тёплая и ясная. ", count: 8)
            + "Китайские военные провели учения на своём полигоне."))
        #expect(!apart.facts.countries.contains("Russia"), "\(apart.facts.countries)")
    }

    /// Helicopters are the two countries' forces in Russian and Chinese as in English.
    @Test func helicoptersOfBothAreTheirForces() throws {
        let classifier = try Shipped.classifier()
        let forces = { Self.headline($0, fires: "headline-chinese-and-russian-forces", in: classifier) }
        #expect(forces("Из-за вертолетов России и Китая Япония подняла в воздух истребители"))
        #expect(forces("中俄直升机编队飞越日本海"))
        #expect(Self.headline("Из-за вертолетов России и Китая Япония подняла в воздух истребители",
                              fires: "forces-intercepted-together", in: classifier))
    }

    /// 海上合作-2014, the PLA Navy's multinational search-and-rescue drill, was read as the SCO
    /// (上合 straddles 海上 and 合作) holding the armed police's Cooperation-2014: an alert.
    /// The SCO's short name still counts where it is one.
    @Test func maritimeCooperationIsNeitherTheSCONorTheArmedPolice() throws {
        let classifier = try Shipped.classifier()
        let verdict = classifier.judge(Self.item("m", "“海上合作—2014”:中外参演舰艇在青岛集结完毕",
            "此次多国联合演习代号“海上合作—2014”,将在青岛东南海域举行,内容以海上联合搜救为主。"))
        #expect(verdict.facts.exercise == "Multinational Maritime Cooperation-2014", "\(verdict.facts)")
        #expect(!verdict.rules.contains { $0.name == "sco-exercise" } && !verdict.kind.isRelevant, "\(verdict.rules.map(\.name))")
        #expect(Self.headline("上合组织成员国举行联合反恐演习", fires: "sco-exercise", in: classifier))
    }

    /// A formation of aircraft (机队) is the two countries' forces, and Taiwan's word for an air
    /// defence identification zone (航空識別區) is one.
    @Test func anAircraftFormationEnteringAnIdentificationZoneIsAPatrol() throws {
        let classifier = try Shipped.classifier()
        let title = "中俄機隊聯手挑釁日韓 強行闖入航空識別區"
        #expect(Self.headline(title, fires: "headline-chinese-and-russian-forces", in: classifier))
        #expect(Self.headline(title, fires: "forces-intercepted-together", in: classifier))
    }

    /// `headline-other-topic` reads глава (head: "Глава МИД"), not every word starting глав-:
    /// a commander-in-chief (главком) on a joint flight is news of the flight.
    @Test func aCommanderInChiefIsNotDiplomacy() throws {
        let classifier = try Shipped.classifier()
        let otherTopic = { Self.headline($0, fires: "headline-other-topic", in: classifier) }
        #expect(!otherTopic("Главком ВКС: полет самолетов России и Китая не был направлен против других стран"))
        #expect(otherTopic("Глава МИД России обсудил с коллегой из Китая торговлю"))
        #expect(otherTopic("Главы России и Китая подписали заявление"))
    }

    /// "Drills with … Chinese navies" after a Russian ship: one country's drill joined by the
    /// other, however far apart the headline names them; drills with a third partner are not.
    @Test func drillsWithTheOtherNavyAreJoined() throws {
        let classifier = try Shipped.classifier()
        let joined = classifier.judge(Self.item("j", "Russian frigate sails for Durban for drills with South African and Chinese navies", ""))
        #expect(joined.rules.contains { $0.name == "joined-by-the-other" })
        let trains = classifier.judge(Self.item("t", "Russian corvette trains alongside Chinese destroyers in the East China Sea", ""))
        #expect(trains.rules.contains { $0.name == "joined-by-the-other" })
        let other = classifier.judge(Self.item("m", "Chinese navy ships head out for joint exercise with Malaysia", ""))
        #expect(!other.rules.contains { $0.name == "joined-by-the-other" } && other.kind == .ignore)
        // In Russian: the other sends its forces, or holds drills "with" the other.
        for title in ["Пекин направит военных в Россию на учения", "Россия проведет учения с Китаем в Приморье"] {
            #expect(Self.headline(title, fires: "joined-by-the-other", in: classifier), "\(title)")
        }
        #expect(!Self.headline("Россия проведет учения с Индией в Приморье", fires: "joined-by-the-other", in: classifier))
    }

    /// Every rule names China with the same words (`$china`): the PLA written out in full is
    /// China for the rule that looks for a country not named, as for the rules that raise.
    @Test func thePLAWrittenOutIsChina() throws {
        let verdict = try Shipped.classifier().judge(Self.item("p", "People's Liberation Army joins Russian Pacific Fleet for joint patrol",
            "The People's Liberation Army sent two destroyers; the Russian group was led by the corvette Sovershenny."))
        #expect(!verdict.rules.contains { $0.name == "no-china" })
        #expect(verdict.kind == .alert)
    }

    /// A headline names one country only when none of the other's words is in it: «Пекин»
    /// is China in Russian as "Beijing" is in English.
    @Test func beijingAndMoscowInARussianHeadlineAreBothCountries() throws {
        let verdict = try Shipped.classifier().judge(Self.item("b", "Пекин и Москва начали совместные учения ПВО на Дальнем Востоке России",
            "Военные Китая и России приступили к совместным учениям противовоздушной обороны, сообщило Минобороны."))
        #expect(!verdict.rules.contains { $0.name == "headline-drill-of-one-country" })
        #expect(verdict.kind == .alert)
    }

    /// Ships that "jointly sailed" or made "a joint sailing" through a strait are a joint
    /// patrol told as a voyage; a pact to "jointly develop shipping" is not.
    @Test func warshipsSailingJointlyAreSailingTogether() throws {
        let classifier = try Shipped.classifier()
        let sailed = classifier.judge(Self.item("s", "Warships pass between Japanese islands",
            "Ten Chinese and Russian warships jointly sailed through the Tsugaru Strait on Monday, Japan's defence ministry said."))
        #expect(sailed.rules.contains { $0.name == "flying-or-sailing-together" })
        let shipping = classifier.judge(Self.item("n", "Moscow and Beijing sign Arctic pact",
            "Russia and China agreed to jointly develop shipping on the Northern Sea Route."))
        #expect(!shipping.rules.contains { $0.name == "flying-or-sailing-together" })
    }

    /// A "joint flight" or "joint cruise" (a «совместный полёт») is a drill word: a headline
    /// naming both countries and one reports a joint patrol.
    @Test func aJointFlightOfBothCountriesIsADrillHeadline() throws {
        let classifier = try Shipped.classifier()
        let verdict = classifier.judge(Self.item("f", "Russia-China joint flight stokes tension near Japan", ""))
        #expect(verdict.rules.contains { $0.name == "headline-both-countries-and-drill" })
        let russian = classifier.judge(Self.item("r", "Ту-95 России совершили совместный полёт с китайскими бомбардировщиками", ""))
        #expect(russian.rules.contains { $0.name == "headline-both-countries-and-drill" })
    }

    /// Taiwan named as a backdrop of Chinese and Russian aircraft flying together does not
    /// make the flight China's own drill around Taiwan.
    @Test func taiwanAsBackdropOfAJointFlightIsNoDrillAroundTaiwan() throws {
        let classifier = try Shipped.classifier()
        let flight = classifier.judge(Self.item("f", "South Korea scrambles jets as Chinese and Russian warplanes enter its air defence zone",
            "Chinese and Russian bombers flew through the zone together. China has territorial designs on Taiwan."))
        #expect(!flight.rules.contains { $0.name == "china-alone-around-taiwan" })
        let taiwan = classifier.judge(Self.item("t", "PLA holds drills around Taiwan",
            "Chinese warships and aircraft encircled Taiwan in live-fire drills, the Eastern Theater Command said."))
        #expect(taiwan.rules.contains { $0.name == "china-alone-around-taiwan" })
    }

    @Test func oneCountryAloneIsNotAJointDrill() throws {
        let verdict = try Shipped.classifier().judge(Self.item("o", "Russian Pacific Fleet starts snap drills",
            "Dozens of Russian warships and aircraft began exercises in the Sea of Okhotsk, the defence ministry said."))
        #expect(verdict.kind == .ignore)
        #expect(verdict.rules.contains { $0.name == "no-china" })
    }

    @Test func seedsTwoAndThreeAreOneStory() throws {
        let corpus = try CorpusStore(folder: Shipped.settings().corpusFolder).load()
        func item(_ id: String) throws -> Item {
            let document = try #require(corpus.first { $0.id.hasPrefix(id) })
            return Item(id: document.id, title: document.title ?? "", text: document.body)
        }
        let classifier = try Shipped.classifier()
        let first = classifier.judge(try item("002"))
        let second = classifier.judge(try item("003"))
        #expect(first.kind == .alert)
        #expect(second.kind == .duplicate)
        #expect(second.story == first.story)
        #expect(second.duplicateOf == first.story.map { _ in try! item("002").id })
    }

    @Test func twentyRewordedCopiesAreOneAlert() throws {
        let classifier = try Shipped.classifier()
        let verdicts = (0..<20).map { index in
            classifier.judge(Self.item("copy-\(index)", Rewording.title(index), Rewording.body(Self.article, variant: index), days: Double(index) * 0.1))
        }
        #expect(verdicts.filter { $0.kind == .alert }.count == 1)
        #expect(verdicts.filter { $0.kind == .duplicate }.count == 19)
        #expect(Set(verdicts.compactMap(\.story)).count == 1)
        #expect(verdicts.dropFirst().allSatisfy { $0.duplicateOf == "copy-0" })
    }

    @Test func sameSeriesInAnotherYearIsAnotherStory() throws {
        let classifier = try Shipped.classifier()
        let earlier = classifier.judge(Self.item("2031", "China and Russia begin Joint Sea-2031 naval drills", Self.article))
        let later = classifier.judge(Self.item("2032", "China and Russia begin Joint Sea-2032 naval drills",
                                               Self.article.replacingOccurrences(of: "2031", with: "2032"), days: 2))
        #expect(earlier.kind == .alert)
        #expect(later.kind == .alert)
        #expect(earlier.story != later.story)
    }

    @Test func storiesExpireAfterTheWindow() throws {
        let classifier = try Shipped.classifier()
        let first = classifier.judge(Self.item("x1", "China and Russia begin Chinese-Russian naval drills", Self.article.replacingOccurrences(of: ", code-named Joint Sea-2031,", with: "")))
        let month = classifier.judge(Self.item("x2", "China and Russia begin Chinese-Russian naval drills", Self.article.replacingOccurrences(of: ", code-named Joint Sea-2031,", with: ""), days: 20))
        #expect(first.kind == .alert && month.kind == .alert)
    }

    /// A named exercise and year is one event for longer than the window (announced, opened,
    /// closed weeks apart), but not for ever: a report two months after the last one is news again.
    @Test func aNamedExerciseStaysOneStoryForTwoMonths() throws {
        let classifier = try Shipped.classifier()
        let opening = classifier.judge(Self.item("n1", "China and Russia begin Joint Sea-2031 naval drills", Self.article))
        let closing = classifier.judge(Self.item("n2", "Joint Sea-2031 ends with live-fire drills by Chinese and Russian ships",
            "The Joint Sea-2031 exercise of the Chinese and Russian navies ended after artillery firing and anti-submarine drills, both ministries said.",
            days: 40))
        let later = classifier.judge(Self.item("n3", "China and Russia begin Joint Sea-2031 naval drills", Self.article, days: 105))
        #expect(opening.kind == .alert)
        #expect(closing.kind == .duplicate && closing.story == opening.story)
        #expect(later.kind == .alert)
    }

    @Test func learningAddsAlertsToTheIndex() throws {
        let classifier = try Shipped.classifier { $0.classifier.learn = true }
        let before = classifier.corpus.count
        _ = classifier.judge(Self.item("l", "China and Russia begin Joint Sea-2031 naval drills", Self.article))
        #expect(classifier.corpus.count == before + 1)
    }
}

/// Deterministic rewordings of an article, as syndication produces them: synonyms, a dropped
/// or moved paragraph, an "UPDATE" prefix, an agency trailer.
enum Rewording {
    static let synonyms: [(String, String)] = [
        ("began", "started"), ("warships", "naval vessels"), ("said", "stated"), ("drills", "manoeuvres"),
        ("will last", "are scheduled to run for"), ("closely", "carefully"), ("planned", "arranged"),
        ("involve", "include"), ("on Monday", "early on Monday"), ("sailed", "set off"),
    ]

    static func title(_ variant: Int) -> String {
        let titles = ["China and Russia begin Joint Sea-2031 naval drills", "Chinese, Russian navies launch Joint Sea-2031 exercise",
                      "Russia and China start joint naval drills in Sea of Japan"]
        return (variant % 4 == 3 ? "UPDATE \(variant / 4 + 1)-" : "") + titles[variant % titles.count]
    }

    static func body(_ text: String, variant: Int) -> String {
        var paragraphs = text.components(separatedBy: "\n\n")
        for (index, pair) in synonyms.enumerated() where (variant >> (index % 5)) & 1 == 1 || (variant + index) % 3 == 0 {
            paragraphs = paragraphs.map { $0.replacingOccurrences(of: pair.0, with: pair.1) }
        }
        if variant % 3 == 1 { paragraphs.remove(at: 2) }
        if variant % 5 == 2 { paragraphs.append(paragraphs.removeFirst()) }
        if variant % 2 == 1 { paragraphs.append("(Reporting by the Asia desk; editing by the night team)") }
        return paragraphs.joined(separator: "\n\n")
    }
}

/// `drillwatch eval` on the development set: the acceptance figures.
@Suite struct DevelopmentSet {
    @Test func precisionAndRecallOnDev() async throws {
        guard let shared = SharedData.root else { return }
        let items = try await ItemReader().read(shared.appendingPathComponent("eval/dev.jsonl").path)
        let classifier = try Shipped.classifier()
        var evaluation = Evaluation()
        for item in items { evaluation.record(item, classifier.judge(item.item)) }
        print("dev: precision \(evaluation.precision), recall \(evaluation.recall), F1 \(evaluation.f1)")
        #expect(evaluation.precision >= 0.95)
        #expect(evaluation.recall >= 0.90)
    }
}

/// `eval --stories`: where the classifier's stories and the labels' events disagree.
@Suite struct StoryDisagreementReport {
    @Test func splitEventsAndMergedStoriesAreListed() {
        func record(_ evaluation: inout Evaluation, _ id: String, event: String, story: String?, kind: Verdict.Kind = .alert) {
            let item = LabelledItem(item: Item(id: id, title: id, text: ""), label: .drill, category: "cn-ru-drill",
                                    event: event, language: "en")
            evaluation.record(item, Verdict(kind: kind, score: 0.9, story: story))
        }
        var evaluation = Evaluation()
        record(&evaluation, "a1", event: "joint-sea-2031", story: "s1")
        record(&evaluation, "a2", event: "joint-sea-2031", story: "s1")
        record(&evaluation, "a3", event: "joint-sea-2031", story: "s2")      // split off
        record(&evaluation, "b1", event: "air-patrol-2031", story: "s2")     // merged with a3
        record(&evaluation, "c1", event: "vostok-2031", story: "s3")         // alone, as it should be
        record(&evaluation, "d1", event: "vostok-2031", story: nil, kind: .ignore)  // missed: not a story
        let report = evaluation.storyDisagreements
        #expect(report.splitEvents.map(\.key) == ["joint-sea-2031"])
        #expect(report.splitEvents.first?.parts.map(\.key) == ["s1", "s2"])
        #expect(report.splitEvents.first?.parts.map { $0.outcomes.map(\.id) } == [["a1", "a2"], ["a3"]])
        #expect(report.mergedStories.map(\.key) == ["s2"])
        #expect(report.mergedStories.first?.parts.map(\.key) == ["air-patrol-2031", "joint-sea-2031"])
    }
}

/// One exercise told in English, Russian and Chinese is one story; different exercises or
/// years never are, dated or not.
@Suite struct CrossLanguageStories {
    static let english = Verdicts.item("en", "China and Russia begin Joint Sea-2031 naval drills", Verdicts.article)
    static let russian = Verdicts.item("ru", "Россия и Китай начали учения «Морское взаимодействие-2031»",
        "Корабли Тихоокеанского флота и ВМС НОАК приступили к совместным учениям «Морское взаимодействие-2031» в Японском море, сообщили в Минобороны России.",
        days: 0.5)
    static let chinese = Verdicts.item("zh", "中俄“海上联合-2031”军事演习在日本海开幕",
        "中国海军和俄罗斯海军舰艇在日本海开始“海上联合-2031”联合演习,双方将进行防空、反潜和海上搜救等科目的演练。", days: 1)
    /// A joint air patrol over the Sea of Japan, three days on.
    static let englishPatrol = Verdicts.item("p-en", "Chinese and Russian bombers fly joint patrol over the Sea of Japan",
        "Two Chinese H-6 and two Russian Tu-95 bombers flew a joint patrol over the Sea of Japan, Japan's defence ministry said.", days: 3)

    @Test func aRussianAChineseAndAnEnglishReportAreOneStory() throws {
        let classifier = try Shipped.classifier()
        let verdicts = [Self.english, Self.russian, Self.chinese].map(classifier.judge)
        #expect(verdicts.map(\.kind) == [.alert, .duplicate, .duplicate], "\(verdicts.map(\.kind))")
        #expect(Set(verdicts.compactMap(\.story)).count == 1)
        #expect(verdicts.allSatisfy { $0.facts.exercise == "Joint Sea-2031" })
    }

    @Test func anUnnamedPatrolInTwoLanguagesIsOneStory() throws {
        let classifier = try Shipped.classifier()
        let english = classifier.judge(Self.englishPatrol)
        let russian = classifier.judge(Verdicts.item("p-ru", "Российские и китайские бомбардировщики провели совместное патрулирование",
            "Стратегические бомбардировщики ВКС России и ВВС Китая выполнили совместное воздушное патрулирование над Японским морем, сообщили в Минобороны.",
            days: 3.5))
        #expect(english.kind == .alert)
        #expect(russian.kind == .duplicate && russian.story == english.story, "\(russian.kind)")
    }

    /// A joint patrol told in one language with its sea and in another without a place, the
    /// next day, is one event; an exercise without a place is not joined to it.
    @Test func aPatrolReportNamingNoPlaceJoinsTheOtherLanguage() throws {
        let classifier = try Shipped.classifier()
        let english = classifier.judge(Self.englishPatrol)
        let russian = classifier.judge(Verdicts.item("p-ru", "Российские и китайские бомбардировщики провели совместное патрулирование",
            "Стратегические бомбардировщики ВКС России и ВВС Китая выполнили плановое совместное воздушное патрулирование, сообщили в Минобороны.",
            days: 4))
        let exercise = classifier.judge(Verdicts.item("x-zh", "中俄两军举行联合演习",
            "中俄两国军队举行联合军事演习,双方将演练联合指挥和防空作战。", days: 4.5))
        #expect(russian.facts.places.isEmpty)
        #expect(english.kind == .alert)
        #expect(russian.kind == .duplicate && russian.story == english.story, "\(russian.kind)")
        #expect(exercise.kind == .alert && exercise.story != english.story, "\(exercise.kind)")
    }

    /// Two reports of one patrol in one language, a day apart, at the same place, in words
    /// too unlike for one story by wording alone (0.42 of the 0.5 needed).
    @Test func twoReportsOfOnePatrolInOneLanguageAreOneStory() throws {
        let classifier = try Shipped.classifier()
        let intercept = classifier.judge(Verdicts.item("n-1", "Jets intercept Russian and Chinese bombers near Alaska",
            "American and Canadian fighters intercepted two Russian Tu-95 and two Chinese H-6 bombers near Alaska on Wednesday, NORAD said.", days: 3))
        let patrol = classifier.judge(Verdicts.item("n-2", "Russian and Chinese bombers fly joint patrol close to Alaska",
            "Moscow's defence ministry said its strategic bombers and Chinese aircraft carried out a joint air patrol over the Chukchi and Bering seas, ending near Alaska.",
            days: 4))
        #expect(intercept.kind == .alert)
        #expect(patrol.kind == .duplicate && patrol.story == intercept.story, "\(patrol.kind) \(patrol.storySimilarity ?? -1)")
        #expect((patrol.storySimilarity ?? 1) < 0.5)
    }

    /// Reports of one air patrol told by their aircraft alone, a day apart, in one language at
    /// two places and in another language at none, are one story; a missile-defence drill
    /// reported the day before is another, and so is a naval patrol the same day.
    @Test func reportsOfOneAirPatrolAreOneStoryWhateverTheyNameOfIt() throws {
        let classifier = try Shipped.classifier()
        let missiles = classifier.judge(Verdicts.item("md-ru", "Россия и Китай провели совместные противоракетные учения",
            "Вооруженные силы России и Китая провели на российской территории третьи совместные компьютерные противоракетные учения, сообщили в Минобороны.", days: 2))
        let korea = classifier.judge(Verdicts.item("air-zh", "中俄9架军机闯入韩国防空识别区 韩军紧急派机应对",
            "韩国联合参谋本部称,中俄两国共9架军机进入韩国防空识别区,韩军出动战机应对。", days: 3))
        let japan = classifier.judge(Verdicts.item("air-en", "Chinese and Russian bombers fly together off Japan's Shikoku, a first",
            "Two Chinese H-6 bombers joined two Russian Tu-95 bombers over the East China Sea and flew on towards the Pacific, Japan's defence ministry said.", days: 4))
        let russian = classifier.judge(Verdicts.item("air-ru", "Бомбардировщики России и Китая совместно патрулировали небо",
            "Стратегические ракетоносцы Ту-95МС ВКС России и бомбардировщики ВВС Китая выполнили совместное воздушное патрулирование, сообщили в Минобороны.", days: 4))
        let ships = classifier.judge(Verdicts.item("sea-en", "Chinese and Russian warships patrol together in the Pacific",
            "Ten Chinese and Russian destroyers and frigates sailed together through the Tsugaru Strait into the Pacific, Japan's defence ministry said.", days: 4))
        #expect(missiles.kind == .alert && korea.kind == .alert && korea.story != missiles.story, "\(missiles.kind) \(korea.kind)")
        #expect(japan.kind == .duplicate && japan.story == korea.story, "\(japan.kind)")
        #expect(russian.kind == .duplicate && russian.story == korea.story, "\(russian.kind)")
        #expect(ships.kind == .alert && ships.story != korea.story, "\(ships.kind)")
        // Submarines on patrol are not the surface ships' patrol of the same days.
        let submarines = classifier.judge(Verdicts.item("sub-en", "Chinese and Russian submarines hold their first joint patrol in the Pacific",
            "A Chinese and a Russian diesel-electric submarine patrolled the Sea of Japan and the East China Sea together, the Russian Pacific Fleet said.", days: 4.5))
        #expect(submarines.kind == .alert && submarines.story != ships.story, "\(submarines.kind)")
    }

    @Test func anotherYearNeverJoinsEvenWithoutADate() throws {
        let classifier = try Shipped.classifier()
        let current = classifier.judge(Self.english)
        var undated = Verdicts.item("old", "China and Russia begin Joint Sea-2030 naval drills",
                                    Verdicts.article.replacingOccurrences(of: "2031", with: "2030"))
        undated.published = nil
        let old = classifier.judge(undated)
        #expect(current.kind == .alert)
        #expect(old.kind == .alert && old.story != current.story)
        // An undated report naming no exercise joins a story only on near-identical wording.
        var vague = Verdicts.item("vague", "Chinese and Russian warships hold naval drills",
                                  "Warships of the Chinese and Russian navies held joint drills, the ministries said, without giving a date or a place.")
        vague.published = nil
        let verdict = classifier.judge(vague)
        #expect(verdict.story != current.story)
    }

    @Test func anExerciseAndThePatrolAfterItAreTwoStories() throws {
        let classifier = try Shipped.classifier()
        // Wording alike enough to be one story, were it not an exercise and then a patrol.
        let exercise = classifier.judge(Verdicts.item("ex", "China and Russia begin naval drills in the Sea of Japan",
            "Chinese and Russian warships began joint naval drills in the Sea of Japan on Monday, the defence ministries said. The ships practised air defence and anti-submarine warfare."))
        let patrol = classifier.judge(Verdicts.item("pa", "China and Russia begin naval patrol in the Sea of Japan",
            "Chinese and Russian warships began a joint naval patrol in the Sea of Japan on Wednesday, the defence ministries said. The ships practised air defence and anti-submarine warfare.", days: 2))
        #expect(exercise.kind == .alert && patrol.kind == .alert, "\(exercise.kind) \(patrol.kind)")
        #expect(patrol.story != exercise.story)
    }

    @Test func theShortRussianNameOfAnExerciseIsTheSameExercise() throws {
        let classifier = try Shipped.classifier()
        let english = classifier.judge(Verdicts.item("zi-en", "China and Russia begin Zapad/Interaction-2031 exercise in Ningxia",
            "Chinese and Russian troops began the Zapad/Interaction-2031 joint exercise in Ningxia, the defence ministries said."))
        let russian = classifier.judge(Verdicts.item("zi-ru", "Начались совместные учения России и Китая «Взаимодействие-2031»",
            "Военнослужащие России и Китая приступили к совместным учениям «Взаимодействие-2031» в Нинся, сообщили в Минобороны.", days: 1))
        #expect(russian.facts.exercise == "Interaction-2031")
        #expect(english.kind == .alert)
        #expect(russian.kind == .duplicate && russian.story == english.story, "\(russian.kind)")
        #expect(ExerciseName("Zapad/Interaction-2031").isSame(as: ExerciseName("Interaction-2031")))
        #expect(!ExerciseName("Zapad/Interaction-2031").isSame(as: ExerciseName("Interaction-2030")))
        #expect(!ExerciseName("Joint Sea-2031").isSame(as: ExerciseName("Interaction-2031")))
    }

    /// A series named without its year ("the Joint Sea exercise") in a dated report is that
    /// year's exercise: told in another language with its year, it is one story (the test
    /// items are dated in March 2030). Undated, it stays a series of no year.
    @Test func aSeriesNamedWithoutItsYearIsTheExerciseOfTheReportsYear() throws {
        let classifier = try Shipped.classifier()
        let chinese = classifier.judge(Verdicts.item("js-zh", "中俄“海上联合-2030”军事演习在日本海开幕",
            "中国海军和俄罗斯海军舰艇在日本海开始“海上联合-2030”联合演习,双方将进行防空、反潜和海上搜救等科目的演练。"))
        let english = classifier.judge(Verdicts.item("js-en", "Russian ships arrive for the Joint Sea exercise with China",
            "Russian warships have set sail for this year's Joint Sea naval exercise with the Chinese navy, the Pacific Fleet said.",
            days: 2))
        #expect(chinese.facts.exercise == "Joint Sea-2030" && english.facts.exercise == "Joint Sea")
        #expect(chinese.kind == .alert)
        #expect(english.kind == .duplicate && english.story == chinese.story, "\(english.kind)")
        func fingerprint(_ date: Date?) -> StoryTracker.Fingerprint {
            StoryTracker.Fingerprint(itemID: "js", vector: TermVector(), signature: [], date: date, exercise: "Joint Sea",
                                     places: [], language: .en, headline: .init())
        }
        #expect(fingerprint(Date(timeIntervalSince1970: 1_900_000_000)).exerciseName?.year == 2030)
        #expect(fingerprint(nil).exerciseName?.year == nil)
    }

    /// One exercise told at its port in one language and at its sea in another: the port lies
    /// on the sea (the gazetteer's `within`), so the two are not places apart; a report of the
    /// same exercise at another sea is.
    @Test func aPortAndTheSeaItLiesOnAreNotPlacesApart() throws {
        let classifier = try Shipped.classifier()
        let russian = classifier.judge(Verdicts.item("pv-ru", "Во Владивостоке начались учения «Морское взаимодействие-2030»",
            "Корабли Тихоокеанского флота и ВМС НОАК начали во Владивостоке совместные учения «Морское взаимодействие-2030», сообщили в Минобороны России."))
        let english = classifier.judge(Verdicts.item("pv-en", "Chinese and Russian navies hold Joint Sea-2030 drills in the Sea of Japan",
            "Warships of the Chinese and Russian navies are holding the Joint Sea-2030 exercise in the Sea of Japan, the Chinese defence ministry said.",
            days: 1))
        let elsewhere = classifier.judge(Verdicts.item("pv-zh", "中俄“海上联合-2030”演习在南海举行",
            "中国海军和俄罗斯海军舰艇在南海举行“海上联合-2030”联合演习,双方将演练防空和反潜科目。", days: 1.5))
        #expect(russian.facts.places == ["Vladivostok"] && english.facts.places == ["Sea of Japan"], "\(russian.facts.places) \(english.facts.places)")
        #expect(russian.kind == .alert)
        #expect(english.kind == .duplicate && english.story == russian.story, "\(english.kind)")
        #expect(elsewhere.kind == .alert && elsewhere.story != russian.story, "\(elsewhere.kind)")
    }

    /// The member closest by rank (a report in the item's own language, too unlike it for one
    /// story by wording alone) must not hide one that qualifies (the same exercise named in
    /// another language): the item joins that story instead of starting one.
    @Test func aReportJoinsByTheMemberThatQualifies() {
        // Unit vectors over terms 1 and 2: the cosine of two is set by hand.
        func vector(_ x: Float, _ y: Float) -> TermVector { TermVector(terms: [1, 2], weights: [x, y]) }
        let hasher = MinHasher()
        func fingerprint(_ id: String, _ language: Language, _ vector: TermVector, days: Double) -> StoryTracker.Fingerprint {
            StoryTracker.Fingerprint(itemID: id, vector: vector, signature: hasher.signature([id]),
                                     date: Date(timeIntervalSince1970: 1_900_000_000 + days * 86400), exercise: "Joint Sea-2031",
                                     places: ["Sea of Japan"], language: language,
                                     headline: .init(activity: .exercise, namesExerciseInLead: true))
        }
        var tracker = StoryTracker(window: 14 * 86400)
        let story = tracker.startStory(with: fingerprint("ru", .ru, vector(0, 1), days: 0))
        tracker.add(fingerprint("en", .en, vector(1, 0), days: 1), to: story)
        // Another Russian report: cosine 0.2 with the first (ranked above the English one, at 0),
        // below the 0.25 two reports in one language need.
        let later = fingerprint("ru-2", .ru, vector(0, 0.2), days: 3)
        let thresholds: (StoryTracker.Evidence) -> Double = { evidence in
            switch evidence {
            case .wording: 0.5
            case .sameExercise: 0.25
            case .sameExerciseOtherLanguage, .sameEvent: 0
            }
        }
        let match = tracker.bestMatch(for: later, threshold: thresholds)
        #expect(match?.story == story)
        #expect(match?.evidence == .sameExerciseOtherLanguage)
        // With nothing that qualifies, no match.
        let unlike = fingerprint("ru-3", .ru, vector(0, 1), days: 3)
        #expect(tracker.bestMatch(for: unlike, threshold: { _ in 1.01 }) == nil)
    }

    /// A story match's wording is the cosine of the two vectors, to the bit, however the
    /// tracker computes it (the new item's weights spread by term), and the spread is cleared
    /// for the next item: random vectors of random terms, compared one member at a time.
    @Test func aMatchsWordingIsTheVectorsCosine() {
        var state: UInt64 = 11
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33)
        }
        func vector() -> TermVector {
            let terms = Array(Set((0..<(next() % 40 + 1)).map { _ in Int32(next() % 300) })).sorted()
            let raw = terms.map { _ in Float(next() % 1000 + 1) }
            let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return TermVector(terms: terms, weights: raw.map { $0 / norm })
        }
        let hasher = MinHasher()
        func fingerprint(_ id: String, _ vector: TermVector) -> StoryTracker.Fingerprint {
            StoryTracker.Fingerprint(itemID: id, vector: vector, signature: hasher.signature([id]), date: nil, exercise: "Joint Sea-2031",
                                     places: [], language: .en, headline: .init(namesExerciseInLead: true))
        }
        for round in 0..<200 {
            var tracker = StoryTracker(window: 14 * 86400)
            let member = fingerprint("m\(round)", vector())
            _ = tracker.startStory(with: member)
            let item = fingerprint("i\(round)", vector())
            let expected = max(item.vector.cosine(member.vector), hasher.similarity(item.signature, member.signature))
            #expect(tracker.bestMatch(for: item, threshold: { _ in 0 })?.similarity == expected, "round \(round)")
            // The next item's, the same: nothing of the first item is left spread.
            let other = fingerprint("j\(round)", vector())
            let otherExpected = max(other.vector.cosine(member.vector), hasher.similarity(other.signature, member.signature))
            #expect(tracker.bestMatch(for: other, threshold: { _ in 0 })?.similarity == otherExpected)
        }
    }

    /// An exercise named only far down a report is background (a report of an air patrol that
    /// recalls the summer's Joint Sea): it ties no report of that exercise in another language to
    /// it, however little they share ("… patrol after Joint Sea-2031", undated).
    @Test func anExerciseNamedOnlyBelowTheLeadTiesNoStory() throws {
        let classifier = try Shipped.classifier()
        let filler = String(repeating: "Самолёты выполняли полёт по заранее утверждённому маршруту и вернулись на аэродромы. ", count: 8)
        let patrol = classifier.judge(Verdicts.item("air", "Бомбардировщики России и Китая совершили совместное патрулирование",
            "Российские Ту-95 и китайские Хун-6 провели совместное воздушное патрулирование, сообщило Минобороны. " + filler
                + "В августе флоты двух стран провели учения «Морское взаимодействие-2031»."))
        #expect(patrol.kind == .alert && patrol.facts.exercise == "Joint Sea-2031", "\(patrol.kind) \(String(describing: patrol.facts.exercise))")
        var undated = Verdicts.item("js", "China and Russia begin Pacific patrol after Joint Sea-2031",
            "Chinese and Russian warships set off on a joint patrol after the Joint Sea-2031 exercise, the ministries said.")
        undated.published = nil
        let after = classifier.judge(undated)
        #expect(after.facts.exercise == "Joint Sea-2031")
        #expect(after.kind == .alert && after.story != patrol.story, "\(after.kind)")
    }

    /// Ships and submarines are two patrols even when both reports recall the exercise before
    /// them further down: only an exercise named where a report says what it is about lets
    /// one event be told by its ships in one report and by another force in the next.
    @Test func aSubmarinePatrolIsNotTheShipsPatrolThatRecallsTheSameExercise() throws {
        let classifier = try Shipped.classifier()
        let recall = "Патрулирование началось после учений «Морское взаимодействие-2031» в Японском море."
        let filler = String(repeating: "Экипажи отработали задачи по плану и поблагодарили друг друга за работу. ", count: 8)
        let ships = classifier.judge(Verdicts.item("ships", "Корабли России и Китая закончили совместный патруль в Тихом океане",
            "Корабли ВМФ России и ВМС Китая завершили совместное патрулирование в Тихом океане, сообщило Минобороны. " + filler + recall))
        let fillerEnglish = String(repeating: "The crews practised the tasks they had planned and thanked each other. ", count: 8)
        let submarines = classifier.judge(Verdicts.item("subs", "Russia and China finish their first joint submarine patrol",
            "Submarines of Russia and China completed their first joint patrol in the Pacific Ocean, Moscow said. " + fillerEnglish
                + "The patrol began after the Joint Sea-2031 exercise in the Sea of Japan.", days: 2))
        #expect(ships.kind == .alert && ships.facts.exercise == "Joint Sea-2031", "\(ships.kind) \(String(describing: ships.facts.exercise))")
        #expect(submarines.facts.exercise == "Joint Sea-2031")
        #expect(submarines.kind == .alert && submarines.story != ships.story, "\(submarines.kind)")
    }

    /// «Субмарины» are submarines as much as подлодки: a Russian headline of the first joint
    /// submarine patrol is not the ships' patrol of the same weeks and waters.
    @Test func submarinesInRussianAreNotTheShipsPatrol() throws {
        let classifier = try Shipped.classifier()
        let ships = classifier.judge(Verdicts.item("ships", "Корабли России и Китая ушли в Тихий океан патрулировать вместе",
            "Корабли ВМФ России и ВМС Китая вышли в Тихий океан для совместного патрулирования, сообщило Минобороны."))
        let submarines = classifier.judge(Verdicts.item("subs", "Субмарины России и Китая впервые вместе патрулировали Тихий океан",
            "Подводные лодки России и Китая впервые провели совместное патрулирование в Тихом океане, сообщило Минобороны.", days: 2))
        #expect(ships.kind == .alert, "\(ships.kind)")
        #expect(submarines.kind.isRelevant && submarines.story != ships.story, "\(submarines.kind)")
    }

    /// A report of what follows an exercise (the patrol after it, the ships' next call) that
    /// names the exercise as what came before ("after …", «после учений …», "…演习结束后") is
    /// not a report of the exercise, even in its lead and with a headline that names no
    /// activity: it joins no story of the exercise. The exercise is still its fact.
    @Test func aReportOfWhatFollowsAnExerciseIsNotOfTheExercise() throws {
        let classifier = try Shipped.classifier()
        let exercise = classifier.judge(Verdicts.item("ex", "China and Russia open the Joint Sea-2031 naval drills",
            "Warships of China and Russia began the Joint Sea-2031 exercise in the Sea of Japan on Monday, the ministries said."))
        let followers = [
            Verdicts.item("en", "China and Russia ready their navies for the next step",
                "After the Joint Sea-2031 exercise, ships of China and Russia will soon set off on their third joint naval patrol, Beijing said.", days: 3),
            Verdicts.item("ru", "Китай и Россия готовятся",
                "Как сообщило Минобороны КНР, после успешно завершённых учений «Морское взаимодействие-2031» Китай и Россия скоро начнут совместное морское патрулирование.", days: 3),
            Verdicts.item("zh", "中俄海军将再度联手",
                "中国国防部表示，“海上联合-2031”演习结束后，中俄两国海军舰艇将组成编队，从日本海出发开展第三次海上联合巡航。", days: 3),
        ]
        #expect(exercise.kind == .alert && exercise.facts.exercise == "Joint Sea-2031", "\(exercise.kind)")
        for item in followers {
            let follower = classifier.judge(item)
            #expect(follower.kind.isRelevant && follower.facts.exercise == "Joint Sea-2031",
                    "\(item.id): \(follower.kind) \(String(describing: follower.facts.exercise))")
            #expect(follower.story != exercise.story, "\(item.id)")
        }
    }

    /// A Chinese lead is about 110 characters for an English one's sixty words: an exercise
    /// named in its second sentence is what the report is about, and ties it to an English
    /// report of that exercise told by other forces.
    @Test func aChineseLeadNamesItsExerciseInItsSecondSentence() throws {
        let classifier = try Shipped.classifier()
        let english = classifier.judge(Verdicts.item("en", "Chinese and Russian aircraft join the Joint Sea-2031 drills",
            "Bombers and fighters of China and Russia joined the Joint Sea-2031 naval exercise on Monday, the ministries said."))
        let chinese = classifier.judge(Verdicts.item("zh", "中国海军舰艇编队启程赴俄参演",
            "一支编有导弹驱逐舰两艘、导弹护卫舰两艘、登陆舰两艘、综合补给舰一艘的中国海军舰艇编队，于本月十五日上午离开山东青岛某军港，驶往俄罗斯符拉迪沃斯托克，"
                + "参加中俄两国代号“海上联合-2031”的海上联合军事演习。", days: 1))
        #expect(english.kind == .alert && chinese.kind.isRelevant, "\(english.kind) \(chinese.kind)")
        #expect(chinese.facts.exercise == "Joint Sea-2031", "\(String(describing: chinese.facts.exercise))")
        #expect(chinese.story == english.story)
    }

    /// An undated report whose lead says when ("on 21 August") joins no story told three months
    /// away, however alike the wording: the two phases of one year's exercise stay two.
    @Test func anUndatedReportOfAnotherSeasonJoinsNoStory() throws {
        let classifier = try Shipped.classifier()
        let lead = "Russian and Chinese warships began the joint naval exercise Joint Sea-2031 in the Sea of Japan, the defence ministries said. "
        let may = classifier.judge(Verdicts.item("may", "China and Russia open Joint Sea-2031 naval drills", lead + "The drills run until 28 May."))
        var august = Verdicts.item("aug", "China and Russia open Joint Sea-2031 naval drills", lead + "The second phase began on 21 August.")
        august.published = nil
        let second = classifier.judge(august)
        #expect(may.kind == .alert)
        #expect(second.kind == .alert && second.story != may.story, "\(second.kind)")
        // Undated and of the same month: one story.
        var copy = Verdicts.item("may-copy", "China and Russia open Joint Sea-2031 naval drills", lead + "The drills run until 28 May.")
        copy.published = nil
        #expect(classifier.judge(copy).story == may.story)
    }

    /// Two defence-ministry announcements in nearly the same words, one undated, numbering
    /// their air patrols differently (the second, the third): two stories.
    @Test func twoNumberedPatrolsAreTwoStories() throws {
        let classifier = try Shipped.classifier()
        func announcement(_ number: String, _ day: String) -> String {
            "中国国防部和俄罗斯国防部联合宣布,\(day)中俄两国空军在日本海和东海有关空域组织了联合空中战略巡航,中方4架轰-6K与俄方2架图-95编成联合编队。这是两军第\(number)次联合空中战略巡航,不针对第三方。"
        }
        let third = classifier.judge(Verdicts.item("p3", "中俄两军实施联合空中战略巡航", announcement("三", "3月17日")))
        var earlier = Verdicts.item("p2", "中俄两军实施联合空中战略巡航", announcement("二", "2月20日"))
        earlier.published = nil
        let second = classifier.judge(earlier)
        #expect(third.kind == .alert)
        #expect(second.kind == .alert && second.story != third.story, "\(second.kind)")
        // Another outlet's copy of the third's announcement, undated, joins the third's story.
        var copy = Verdicts.item("p3-copy", "中俄两军实施联合空中战略巡航", announcement("三", "3月17日"))
        copy.published = nil
        let copied = classifier.judge(copy)
        #expect(copied.kind == .duplicate && copied.story == third.story, "\(copied.kind)")
    }

    @Test func aPatrolsNumberIsReadInThreeLanguages() {
        let analyzer = Analyzer()
        func number(_ title: String, _ body: String = "") -> Int? {
            PatrolNumber.number(in: AnalyzedText(title: title, body: body, analyzer: analyzer))
        }
        #expect(number("Russian and Chinese bombers fly ninth joint strategic air patrol") == 9)
        #expect(number("Bombers patrol", "It was the 9th China-Russia joint strategic air patrol, Beijing said.") == 9)
        #expect(number("Бомбардировщики", "Это уже третье совместное воздушное патрулирование ВКС России и ВВС Китая.") == 3)
        #expect(number("Бомбардировщики", "Это уже ЧЕТВЁРТОЕ совместное патрулирование.") == 4)
        #expect(number("中俄联合巡航", "这是中俄两军第十二次联合空中战略巡航。") == 12)
        #expect(number("中俄聯合巡航", "這是雙方第二輪聯合海上巡邏。") == 2)
        #expect(number("中俄联合巡航", "这是两军第9次联合空中战略巡航。") == 9)
        // Not a number of a patrol: "first" (first near Alaska, first of its kind), a weekday,
        // a number of something else, a patrol in the next sentence or too far after it.
        #expect(number("Chinese and Russian bombers hold first joint patrol near Alaska") == nil)
        #expect(number("Бомбардировщики", "В пятницу совместное патрулирование продолжилось.") == nil)
        #expect(number("Ships", "On the second day the fleets held drills; the air patrol came a week later.") == nil)
        #expect(number("Ships", "It was the second. Patrol ships followed.") == nil)
        #expect(number("舰艇", "第二次演习结束后,两国舰艇将在太平洋开展联合巡航。") == nil)
    }

    @Test func aLeadsDayAndMonthAreReadInThreeLanguages() {
        #expect(LeadMonth.month(title: "Drills begin", body: "The ships sailed on 21 August from Vladivostok.") == 8)
        #expect(LeadMonth.month(title: "Drills begin", body: "On August 21, 2031, the ships sailed.") == 8)
        #expect(LeadMonth.month(title: "Drills begin", body: "On Sept. 3 the ships sailed.") == 9)
        #expect(LeadMonth.month(title: "Учения начались", body: "Корабли вышли в море 21 августа.") == 8)
        #expect(LeadMonth.month(title: "演习开始", body: "2031年8月21日，中俄海军舰艇从海参崴出发。") == 8)
        #expect(LeadMonth.month(title: "演習開始", body: "十二月三日，中俄軍機聯合巡航。") == 12)
        // Not a date: a verb, a count, a month without a day, a day far past any month's end.
        #expect(LeadMonth.month(title: "Drills", body: "Five ships may 2 or 3 days later join the others.") == nil)
        #expect(LeadMonth.month(title: "Drills", body: "In August the ships sailed; 三个月后; 32 March.") == nil)
        #expect(StoryTracker.monthsApart(12, 1) == 1 && StoryTracker.monthsApart(5, 8) == 3)
    }

    /// Headlines alone (a news-search feed): an undated one worded like a dated story's, as
    /// every year's report of an annual drill is, stays a story of its own; the same headline
    /// carried by another outlet joins.
    @Test func anUndatedHeadlineJoinsAStoryOnlyInNearlyItsWords() throws {
        let classifier = try Shipped.classifier()
        let dated = classifier.judge(Verdicts.item("h1", "Russia and China hold joint naval drills in the Sea of Japan", ""))
        var otherYear = Verdicts.item("h2", "Russia and China begin joint naval exercises in the Sea of Japan", "")
        otherYear.published = nil
        let apart = classifier.judge(otherYear)
        var copy = Verdicts.item("h3", "Russia and China hold joint naval drills in the Sea of Japan", "")
        copy.published = nil
        let copied = classifier.judge(copy)
        #expect(dated.kind == .alert)
        #expect(apart.kind == .alert && apart.story != dated.story, "\(apart.kind) \(apart.storySimilarity ?? 0)")
        #expect(copied.kind == .duplicate && copied.story == dated.story, "\(copied.kind)")
    }

    @Test func anUndatedRewordedCopyJoinsItsStory() throws {
        let classifier = try Shipped.classifier()
        let first = classifier.judge(Verdicts.item("w1", "Russian and Chinese warships hold first joint patrol in the Pacific",
            "Ten Russian and Chinese warships sailed through the Tsugaru Strait on their first joint patrol in the Pacific, Japan's defence ministry said on Monday. The flotilla had taken part in joint drills earlier in the month."))
        var copy = Verdicts.item("w2", "For the first time, Russian and Chinese warships patrol the Pacific together",
            "Ten warships of the Russian and Chinese navies passed through the Tsugaru Strait on a first joint patrol in the Pacific, according to Japan's defence ministry. The ships had held joint drills earlier this month.")
        copy.published = nil
        let verdict = classifier.judge(copy)
        #expect(first.kind == .alert)
        #expect(verdict.kind == .duplicate && verdict.story == first.story, "\(verdict.kind) \(verdict.storySimilarity ?? 0)")
    }
}
