import Foundation
import Model
import Testing
@testable import Classifier

/// How Chinese names countries: lists of one-character abbreviations, 俄 standing alone, and
/// 白俄罗斯 (Belarus), which holds 俄罗斯 (Russia).
@Suite struct ChineseCountryNames {
    let analyzer = Analyzer()

    @Test func aCountryListNamingBothReadsAsChinaRussia() {
        #expect(analyzer.analyze("中伊俄海军联演").map(\.term).first == "中俄")
        #expect(analyzer.analyze("俄伊中三国").map(\.term).first == "中俄")
        // The characters as written stay the token's original.
        #expect(analyzer.analyze("中伊俄海军联演").first?.original == "中伊")
        // Side by side already, or only one of the two: unchanged.
        #expect(analyzer.analyze("中俄伊三国").map(\.term).prefix(2) == ["中俄", "俄伊"])
        #expect(analyzer.analyze("中美日三国").map(\.term).first == "中美")
        // Two characters are a word, not a list (中伊 "China–Iran").
        #expect(analyzer.analyze("中伊").map(\.term) == ["中伊"])
    }

    @Test func aListWithEnumerationCommasReadsAsOneList() throws {
        // 中、俄、哈、吉、塔五国: the SCO's members as Chinese reports list them.
        #expect(analyzer.analyze("中、俄、哈、吉、塔五国军队").map(\.term).prefix(2) == ["中俄", "俄哈"])
        #expect(analyzer.analyze("俄、中两国海军").map(\.term).first == "俄中")
        #expect(analyzer.analyze("中、伊、俄三国").map(\.term).first == "中俄")
        // Traditional script is recognised before folding.
        #expect(analyzer.analyze("中、俄、哈、吉、塔五國").map(\.term).first == "中俄")
        // Words, not one-character names, stay apart: no 国俄 across the comma.
        #expect(!analyzer.analyze("中国、俄罗斯").map(\.term).contains("国俄"))
        #expect(!analyzer.analyze("日本、韩国").map(\.term).contains("本韩"))
        // And the list names both countries as facts.
        let item = Item(id: "sco", title: "和平使命联合反恐演习开幕",
                        text: "中、俄、哈、吉、塔五国分别出动陆军和空军参加演习，总兵力约1100人。")
        let facts = try Shipped.classifier().assess(item).facts
        #expect(facts.countries.contains("Russia") && facts.countries.contains("China"))
    }

    /// "China" in the South China Sea, the East China Sea and «Южно-Китайское море» is a
    /// place's word, not China; the places are still found.
    @Test func chinaInTheNameOfASeaIsNotChina() throws {
        #expect(!analyzer.analyze("drills in the South China Sea").map(\.term).contains("china"))
        #expect(analyzer.analyze("South China is hot").map(\.term).contains("china"))
        #expect(!analyzer.analyze("учения в Южно-Китайском море").map(\.surface).contains { $0.hasPrefix("китай") })
        #expect(!analyzer.analyze("美菲在南中國海舉行聯合演習").map(\.term).contains("中国"))
        #expect(analyzer.analyze("中国海军在南海演习").map(\.term).contains("中国"))
        let classifier = try Shipped.classifier()
        for title in ["Russia and the Philippines: exercises in the South China Sea", "Россия и Филиппины проведут учения в Южно-Китайском море",
                      "俄菲兩國海軍將在南中國海舉行聯合演習"] {
            let verdict = classifier.judge(Item(id: title, title: title, text: ""))
            #expect(verdict.kind == .ignore, "\(title): \(verdict.kind)")
            #expect(verdict.facts.places == ["South China Sea"])
            #expect(!verdict.facts.countries.contains("China"))
        }
        let joint = classifier.judge(Item(id: "j", title: "China and Russia hold joint naval drills in the East China Sea", text: ""))
        #expect(joint.kind == .alert && joint.facts.places == ["East China Sea"])
    }

    @Test func civilAgenciesDrillingTogetherAreNoMilitaryDrill() throws {
        let classifier = try Shipped.classifier()
        for title in ["Спасатели России, Китая и Монголии проводят совместные учения в Хабаровске",
                      "Надзорные органы России и Китая совместно патрулировали Амур",
                      "Chinese and Russian rescuers hold joint flood drill on the Amur",
                      "Экстренные службы Китая и России впервые провели общую тренировку на Амуре"] {
            #expect(classifier.judge(Item(id: title, title: title, text: "")).kind == .ignore, "\(title)")
        }
        // The Army Games are a competition, however they are told.
        for title in ["Chinese tank crews reach Russia for the International Army Games", "Китайские танкисты прибыли на Армейские международные игры",
                      "Российские танкисты выступят на Армейских играх в Китае", "中俄坦克兵同场竞技 国际军事比赛开幕",
                      "中俄官兵国际军赛同场竞技"] {
            #expect(classifier.judge(Item(id: title, title: title, text: "")).kind == .ignore, "\(title)")
        }
        let navies = "Russian and Chinese navies practise search and rescue in joint drill"
        #expect(classifier.judge(Item(id: "n", title: navies, text: "")).kind == .alert)
    }

    /// China and Russia founded the Shanghai Cooperation Organisation and are in its drills: a
    /// headline about one is not missing either country, in any language.
    @Test func anSCODrillHeadlineNamesBothCountries() throws {
        let classifier = try Shipped.classifier()
        for title in ["SCO members open joint anti-terror drill in Kyrgyzstan", "Армии стран ШОС начали совместные учения под Челябинском",
                      "上合组织联合反恐演习在哈萨克斯坦开幕"] {
            let rules = classifier.judge(Item(id: title, title: title, text: "")).rules.map(\.name)
            #expect(!rules.contains("no-china") && !rules.contains("no-russia"), "\(title): \(rules)")
        }
        let summit = classifier.judge(Item(id: "s", title: "SCO leaders gather in Astana for their summit", text: "")).rules.map(\.name)
        #expect(summit.contains("no-china") && summit.contains("no-russia"))
    }

    /// 东部战区 is the PLA's Eastern Theater (its drills around Taiwan), but a Chinese report of
    /// Vostok may call Russia's Eastern Military District so: not where the exercise is named.
    @Test func theEasternCommandOfAVostokReportIsRussias() throws {
        let classifier = try Shipped.classifier()
        let vostok = classifier.judge(Item(id: "v", title: "中国军队专列抵达外贝加尔",
            text: "东部战区新闻处说，中方人员和装备将参加“东方-2022”演习。")).rules.map(\.name)
        #expect(!vostok.contains("china-alone-around-taiwan"), "\(vostok)")
        let taiwan = classifier.judge(Item(id: "t", title: "东部战区在台岛周边组织演习", text: "东部战区新闻发言人表示，演习检验部队联合作战能力。")).rules.map(\.name)
        #expect(taiwan.contains("china-alone-around-taiwan"), "\(taiwan)")
    }

    @Test func belarusIsNotRussia() throws {
        let terms = analyzer.analyze("白俄罗斯军队演习").map(\.term)
        #expect(!terms.contains("俄罗"))
        #expect(!terms.contains { $0.hasPrefix("俄") })
        #expect(!analyzer.analyze("白俄军队").map(\.term).contains("俄军"))
        let classifier = try Shipped.classifier()
        let belarus = classifier.assess(Item(id: "by", title: "白俄罗斯军队与中国军队举行联合演习", text: ""))
        #expect(belarus.facts.countries.contains("Belarus"))
        #expect(!belarus.facts.countries.contains("Russia"))
        let russia = classifier.assess(Item(id: "ru", title: "俄罗斯军队与中国军队举行联合演习", text: ""))
        #expect(russia.facts.countries.contains("Russia"))
    }

    @Test func russiaAloneAtTheEndOfARunIsFound() throws {
        // In a document, 赴俄 ("to Russia") also gives 俄, at the same position.
        let text = AnalyzedText(title: "中国派部队赴俄 参加战略演习", body: "", analyzer: analyzer)
        let russia = text.tokens.filter { $0.term == "俄" }
        #expect(russia.count == 1)
        #expect(russia.first?.position == text.tokens.first { $0.term == "赴俄" }?.position)
        // A query word stays one term: 赴俄 in a rule must still match 赴俄参加.
        #expect(analyzer.analyze("赴俄").map(\.term) == ["赴俄"])
        let classifier = try Shipped.classifier()
        let item = Item(id: "cn", title: "中國派西部戰區部隊赴俄 參加戰略演習", text: "")
        #expect(classifier.assess(item).facts.countries.contains("Russia"))
    }
}

/// Gazetteer knowledge of which years a series was joint, and of whose places are whose.
@Suite struct GazetteerYearsAndPlaces {
    @Test func aSeriesChinaJoinedInSomeYearsOnly() throws {
        let classifier = try Shipped.classifier()
        func features(_ title: String) -> [String: Double] {
            let assessment = classifier.assess(Item(id: title, title: title, text: ""))
            return Dictionary(uniqueKeysWithValues: zip(classifier.featureNames, assessment.features))
        }
        #expect(features("Vostok-2018 exercise begins in the Far East")[ScoreWeights.exercise] == 1)
        #expect(features("Vostok-2010 exercise begins in the Far East")[ScoreWeights.otherExercise] == 1)
        #expect(features("Vostok-2010 exercise begins in the Far East")[ScoreWeights.exercise] == 0)
        // A year after the last known one is not known yet: joint, as the series is.
        #expect(features("Vostok-2030 exercise begins in the Far East")[ScoreWeights.exercise] == 1)
        #expect(features("Kavkaz-2016 strategic exercise starts")[ScoreWeights.otherExercise] == 1)
        #expect(features("Kavkaz-2020 strategic exercise starts")[ScoreWeights.exercise] == 1)
    }

    /// "Peace Mission" is also what envoys go on: the series only as a name, with a year or
    /// beside a drill word.
    @Test func anExerciseNamedWithEverydayWords() throws {
        let classifier = try Shipped.classifier()
        func exercise(_ title: String, _ text: String = "") -> Double? {
            let assessment = classifier.assess(Item(id: title, title: title, text: text))
            return Dictionary(uniqueKeysWithValues: zip(classifier.featureNames, assessment.features))[ScoreWeights.exercise]
        }
        #expect(exercise("African leaders set off on a Moscow-Kyiv peace mission to halt the war") == 0)
        #expect(exercise("Envoys say the peace mission to Russia and Ukraine will go ahead") == 0)
        #expect(exercise("Troops arrive for the peace mission drills in Chelyabinsk") == 1)
        #expect(exercise("SCO states open Peace Mission 2007 in the Urals") == 1)
        #expect(exercise("ШОС и её «Мирная миссия»") == 1)
        #expect(exercise("Делегация отправилась с мирной миссией в Киев") == 0)
    }

    /// Names as reports write them: an English rendering of 安全纽带, a name glossed in
    /// brackets, and no codename made of a sentence's first word and a year.
    @Test func exerciseNamesAsReportsWriteThem() throws {
        let classifier = try Shipped.classifier()
        func exercise(_ title: String, _ text: String = "") -> String? {
            classifier.assess(Item(id: title, title: title, text: text)).facts.exercise
        }
        #expect(exercise("China, Russia and Iran hold 'Security Bond-2023' naval drills") == "Maritime Security Belt-2023")
        // «Пояс безопасности», Security Belt word for word; a "пояс безопасности" of lower-case
        // words with no drill word near is a belt, not the exercise.
        #expect(exercise("«Пояс безопасности» в Индийском океане выстроят Россия, Иран и Китай") == "Maritime Security Belt")
        // The armed police's and National Guard's series: a name of everyday words, only with
        // a year and a drill word near, so a forum of the same name and year is none.
        #expect(exercise("China and Russia open joint counter-terror drill 'Cooperation-2019'") == "Cooperation-2019")
        #expect(exercise("В Подмосковье стартовали учения «Сотрудничество-2016» Росгвардии") == "Cooperation-2016")
        #expect(exercise("中俄“合作-2019”联合反恐演习开幕") == "Cooperation-2019")
        #expect(exercise("China-Russia Economic Cooperation 2019 forum opens in Harbin") == nil)
        #expect(exercise("Монтажники без пояса безопасности", "Рабочий упал с лесов: пояс безопасности не был закреплён.") == nil)
        #expect(exercise("Launched on Tuesday, the Vostok (East) 2018 manoeuvres stretch across Siberia") == "Vostok-2018")
        #expect(exercise("Учения с участием ВМФ", "В 2023 году учения прошли в Аравийском море.") == nil)
        #expect(exercise("Учения с участием ВМФ", "Кавказ 2020 учения начались.") == "Kavkaz-2020")
        // Names that are also everyday words: "joint sea" patrols are no Joint Sea, and "to
        // boost maritime cooperation" none without a year; written as names they are.
        #expect(exercise("Defence ministers meet", "They agreed to hold regular joint sea and air patrols.") == nil)
        #expect(exercise("China and Russia begin Joint Sea drills") == "Joint Sea")
        #expect(exercise("russia and china begin joint sea-2022 drills") == "Joint Sea-2022")
        #expect(exercise("India and Russia drill", "To boost maritime cooperation, the two navies began drills.") == nil)
        #expect(exercise("Ships sail for Maritime Cooperation 2022, a joint naval exercise") == "Joint Sea-2022")
        // The third Mosi by the name it was given; the CSTO's «Взаимодействие» of a year the
        // joint series was not held is an exercise, but not the joint one.
        #expect(exercise("China and Iran warships reach South Africa for Will for Peace 2026 drill") == "Mosi-2026")
        #expect(exercise("Учение ОДКБ «Взаимодействие-2015» открылось в Псковской области") == "Interaction-2015")
        func feature(_ title: String, _ name: String) -> Double? {
            let assessment = classifier.assess(Item(id: title, title: title, text: ""))
            return Dictionary(uniqueKeysWithValues: zip(classifier.featureNames, assessment.features))[name]
        }
        #expect(feature("Учение ОДКБ «Взаимодействие-2015» открылось в Псковской области", ScoreWeights.exercise) == 0)
        #expect(feature("Учение ОДКБ «Взаимодействие-2015» открылось в Псковской области", ScoreWeights.otherExercise) == 1)
        #expect(feature("Учения «Взаимодействие-2021» начались в Нинся", ScoreWeights.exercise) == 1)
    }

    @Test func forcesOfOneAtAPlaceOfTheOther() throws {
        let classifier = try Shipped.classifier()
        func visiting(_ title: String) -> Double? {
            let assessment = classifier.assess(Item(id: title, title: title, text: ""))
            return Dictionary(uniqueKeysWithValues: zip(classifier.featureNames, assessment.features))[ScoreWeights.visitingForces]
        }
        #expect(visiting("Chinese warships reach Vladivostok") == 1)
        #expect(visiting("Китайские боевые корабли подошли к Владивостоку") == 1)
        #expect(visiting("Корабли ТОФ пришли в Чжаньцзян") == 1)
        // Both named, or a Russian ship in a Russian port: not a visit.
        #expect(visiting("Chinese and Russian warships reach Vladivostok") == 0)
        #expect(visiting("Russian warships return to Vladivostok") == 0)
    }
}
