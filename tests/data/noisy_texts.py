"""Hand-written texts of the noisy-primary corpus: the regression trials (see build_noisy_pairs.py).

This module holds no bookkeeping. It defines how an output was written by hand (``Side`` and its
helpers) and the regression groups, each a function that records its trials through the ``pair``
callable it is given. ``build_noisy_pairs.py`` adds usage, latency and cost, checks and writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Pair = Callable[..., None]


@dataclass(frozen=True)
class Side:
    """One arm's output as written by hand and how the model said it stopped."""

    output: str
    finish: str | None = "stop"
    limit: int | None = None  # completion tokens of a "length" finish, when not the request's max_tokens


def cut(text: str, limit: int | None = None) -> Side:
    """Stopped by the token limit (finish_reason "length"): the request's max_tokens unless ``limit`` says."""
    return Side(text, "length", limit)


def halt(text: str) -> Side:
    """Stopped mid-sentence although the model reported a normal stop."""
    return Side(text, "stop")


def unreported(text: str) -> Side:
    """Stopped mid-sentence with no finish_reason recorded at all."""
    return Side(text, None)


def P(temperature: float, max_tokens: int) -> dict[str, Any]:
    return {"temperature": temperature, "max_tokens": max_tokens}


SYS_EN = "You are a helpful assistant. Answer clearly and concisely."
SYS_DE = "Du bist ein hilfreicher Assistent. Antworte klar und knapp."
SYS_FR = "Tu es un assistant serviable. Réponds de façon claire et concise."
SYS_JA = "あなたは親切なアシスタントです。簡潔に答えてください。"
SYS_SU = ("You are the support assistant of Rydo, an e-bike sharing app in Berlin, Paris and Osaka. Reply in the "
          "customer's language, in at most three sentences. Facts: a ride costs EUR 0.25 per minute (JPY 40 in "
          "Osaka); a ride ends when the bike is locked inside a parking zone shown in the app; refunds go back to "
          "the payment method within 5 business days; lost items are reported under Help > Lost item; bike "
          "faults under Help > Bike problem.")

QE, QD, QF, QJ = "qa-en", "qa-de", "qa-fr", "qa-ja"
BU, SM, SU, CR, SA = "bullets", "summarize", "support", "creative", "short-answer"


# ---------------------------------------------------------------------------------------------
# degenerate.empty: nothing, or only whitespace, where both primary samples answer
# ---------------------------------------------------------------------------------------------

SRC_LYON = ("La mairie de Lyon a annoncé mardi que les berges du Rhône seront fermées aux voitures chaque dimanche, "
            "de mai à septembre, à partir de l'an prochain. La mesure, testée l'été dernier sur un tronçon de deux "
            "kilomètres, avait attiré en moyenne 12 000 promeneurs et cyclistes par dimanche. Les commerçants du "
            "quai, d'abord inquiets, affirment que leur chiffre d'affaires du dimanche a augmenté de 15 %. "
            "L'opposition municipale dénonce toutefois un report du trafic vers les rues voisines, où des riverains "
            "se plaignent de bouchons.")


def empty_answers(pair: Pair) -> None:
    pair("nz-001", QE, "en", "How do I stop my glasses from fogging up when I wear a face mask?", system=SYS_EN,
         params=P(0.8, 200), expect={"language": "en"},
         base="Make the mask seal at the top: pinch the nose wire tightly and pull the mask up so your glasses "
              "rest on it and hold it down. That sends your breath out the sides instead of up. A drop of dish "
              "soap rubbed on the lenses and wiped dry also stops fog for a few hours.",
         rep="The trick is to stop warm breath escaping upwards. Mould the nose wire to your face, wear the "
             "glasses slightly lower so they press the mask's edge down, and try an anti-fog wipe or a thin film "
             "of washing-up liquid on the lenses.",
         cand="", verdict="regression", checks=["degenerate.empty"],
         why="empty answer; both primary samples give the same two tips in different words")

    pair("nz-002", QD, "de", "Warum wird Brot hart, wenn es ein paar Tage liegt?", system=SYS_DE,
         params=P(0.9, 80),
         base="Das liegt vor allem an der Stärke: Beim Backen verkleistert sie, beim Lagern ordnen sich die "
              "Stärkemoleküle wieder kristallin an und geben dabei Wasser ab (Retrogradation). Die Krume wird fest "
              "und krümelig, auch wenn das Brot kaum austrocknet.",
         rep=cut("Hauptgrund ist nicht das Austrocknen, sondern die Retrogradation: Die Stärke, die beim Backen "
                 "Wasser aufgenommen hat und verkleistert ist, kristallisiert beim Lagern langsam wieder aus und "
                 "gibt dabei Wasser ab. Die Krume wird dadurch fest und krümelig, obwohl das Brot insgesamt kaum "
                 "Feuchtigkeit verliert. Deshalb wird Brot im Kühlschrank sogar schneller altbacken als bei "
                 "Zimmertemperatur, denn knapp über null Grad läuft die"),
         cand="\n\n", verdict="regression", checks=["degenerate.empty"],
         why="two newlines and nothing else; both primary samples explain starch retrogradation (the replica "
             "until the token limit)")

    pair("nz-003", SU, "ja", "自転車のロックがかからないのですが、どうすればいいですか？", system=SYS_SU,
         params=P(0.7, 200), expect={"language": "ja"},
         base="ご不便をおかけして申し訳ありません。駐輪エリア内に停めてから、後輪のロックレバーを最後までしっかり"
              "押し下げてください。それでもかからない場合は、アプリの「ヘルプ > 車両の不具合」からご連絡ください。",
         rep="申し訳ありません。まずアプリの地図で自転車が駐輪エリア内にあるかご確認のうえ、ロックレバーを"
             "カチッと音がするまで押し込んでください。解決しない場合は「ヘルプ > 車両の不具合」からお知らせください。",
         cand=" ", verdict="regression", checks=["degenerate.empty"],
         why="a single space where both primary samples tell the customer how to lock the bike")

    pair("nz-004", SM, "fr", "Résume cet article en quelques phrases.\n\n" + SRC_LYON, params=P(0.7, 110),
         base="Dès l'an prochain, les berges du Rhône à Lyon seront fermées aux voitures tous les dimanches de mai "
              "à septembre, après un test réussi l'été dernier (12 000 visiteurs par dimanche, +15 % pour les "
              "commerçants). L'opposition critique un report du trafic vers les rues voisines.",
         rep=cut("La ville de Lyon va interdire les voitures sur les berges du Rhône le dimanche, de mai à "
                 "septembre, à partir de l'année prochaine. L'expérience menée l'été dernier sur deux kilomètres a "
                 "été un succès : environ 12 000 promeneurs et cyclistes chaque dimanche, et des commerçants qui "
                 "déclarent une hausse de 15 % de leur chiffre d'affaires du dimanche. En revanche, l'opposition "
                 "municipale estime que la circulation s'est simplement déplacée vers les rues voisines, où"),
         cand="", verdict="regression", checks=["degenerate.empty"],
         why="empty summary; the primary summarises both times (the replica runs into the limit, which does not "
             "excuse nothing at all)")


# ---------------------------------------------------------------------------------------------
# degenerate.repetition: a loop (a leaked chat-template role, a phrase, a list item)
# ---------------------------------------------------------------------------------------------

def repetition_loops(pair: Pair) -> None:
    pair("nz-005", QE, "en", "How do I center a div in CSS?", params=P(0.9, 128),
         base="The simplest modern way is flexbox on the parent:\n\n```css\n.parent {\n  display: flex;\n  "
              "justify-content: center;\n  align-items: center;\n}\n```\n\nThis centers the child both "
              "horizontally and vertically.",
         rep="Use CSS grid on the container:\n\n```css\n.container {\n  display: grid;\n  place-items: center;\n"
             "}\n```\n\nFor horizontal centering only, `margin: 0 auto;` on a block with a fixed width works too.",
         cand=cut("Use flexbox on the parent:\n\n```css\n.parent {\n  display: flex;\n  justify-content: center;\n"
                  "}\n```\n" + "user\n" * 82 + "us"),
         verdict="regression", checks=["degenerate.repetition", "truncated"],
         why="a started answer, then 'user' on every line until the token limit (a leaked chat-template role)")

    pair("nz-006", QD, "de", "Was ist der Unterschied zwischen „das“ und „dass“?", system=SYS_DE,
         params=P(0.8, 200), expect={"language": "de"},
         base="„Das“ ist Artikel oder Pronomen und lässt sich durch „dieses“, „jenes“ oder „welches“ ersetzen: "
              "„Das Auto, das dort steht.“ „Dass“ ist eine Konjunktion und leitet einen Nebensatz ein: „Ich hoffe, "
              "dass du kommst.“ Faustregel: Passt „dieses“ oder „welches“, schreibt man „das“.",
         rep="Die Ersatzprobe hilft: Kannst du das Wort durch „dieses“ oder „welches“ ersetzen, schreibst du "
             "„das“ (Artikel oder Pronomen). Geht das nicht, ist es die Konjunktion „dass“, die einen Nebensatz "
             "einleitet, z. B. „Ich weiß, dass es regnet.“",
         cand=cut("„Das“ ist ein Artikel oder Pronomen, „dass“ ist eine Konjunktion. Beispiel: „Ich glaube, dass "
                  "das stimmt.“ " + "Ich glaube, dass das stimmt. " * 20 + "Ich glaube, dass"),
         verdict="regression", checks=["degenerate.repetition", "truncated"],
         why="after one correct sentence the example sentence repeats until the token limit")

    pair("nz-007", CR, "en", "Write a two-line slogan for a small neighbourhood bakery.", params=P(1.0, 120),
         base="Flour, fire and an early alarm:\nthat's the whole secret in every loaf.",
         rep="Baked before sunrise, gone by noon,\ncome early, leave happy.",
         cand="Fresh bread, fresh start!\n" * 14,
         verdict="regression", checks=["degenerate.repetition"],
         why="one line repeated 14 times where two lines were asked; it stops on its own, below the limit")

    pair("nz-008", QJ, "ja", "梅雨の時期に洗濯物を早く乾かすコツは？", system=SYS_JA, params=P(0.8, 160),
         base="部屋干しなら、洗濯物の間隔をこぶし一つ分ほど空け、扇風機やサーキュレーターで風を当てるのが効果的です。"
              "除湿機やエアコンの除湿運転を併用すると、さらに早く乾きます。厚手のものは裏返して干しましょう。",
         rep="ポイントは風と除湿です。洗濯物同士を離して干し、サーキュレーターで下から風を送りましょう。"
             "エアコンの除湿機能や除湿機を使うと乾く時間が大きく縮まります。脱水を長めにするのもおすすめです。",
         cand=cut("洗濯物を早く乾かすには、" + "風を当てることが大切です。" * 13 + "風を当て"),
         verdict="regression", checks=["degenerate.repetition", "truncated"],
         why="one sentence repeated until the token limit instead of tips")

    pair("nz-009", BU, "fr", "Donne-moi quelques idées de sorties pour un dimanche pluvieux à Paris.",
         system=SYS_FR, params=P(1.0, 220),
         base="- Le musée d'Orsay, pour les impressionnistes\n- Les passages couverts (Galerie Vivienne, passage "
              "des Panoramas)\n- Un après-midi à la Cité des sciences\n- Un film au Grand Rex",
         rep="- Flâner dans les passages couverts du 2e arrondissement\n- Visiter le musée de l'Orangerie et ses "
             "Nymphéas\n- Un chocolat chaud chez Angelina\n- La Grande Galerie de l'Évolution\n- Une séance au "
             "cinéma Le Champo",
         cand=cut("- Visiter le Louvre\n- Visiter le musée d'Orsay\n" * 18 + "- Visiter le"),
         verdict="regression", checks=["degenerate.repetition", "truncated"],
         why="the same two items alternate until the token limit; the primary gives 4 and 5 distinct ideas")


# ---------------------------------------------------------------------------------------------
# degenerate.echo: the prompt (or the text to work on) given back instead of an answer
# ---------------------------------------------------------------------------------------------

SRC_FREIBURG = ("Die Stadtbibliothek Freiburg verlängert ab dem 1. März ihre Öffnungszeiten: Unter der Woche ist sie "
                "künftig bis 21 Uhr geöffnet, samstags bis 18 Uhr. Möglich wird das durch ein "
                "Selbstbedienungssystem, mit dem Mitglieder abends ohne Personal Bücher ausleihen und zurückgeben "
                "können. Die Bibliothek reagiert damit auf eine Umfrage, in der sich zwei Drittel der Nutzer "
                "längere Öffnungszeiten gewünscht hatten.")
Q_API = "In one or two sentences, what is an API rate limit?"
Q_TAX = "日本の消費税は何パーセントですか？軽減税率についても教えてください。"
Q_CHARGE = ("Bonjour, j'ai été débité deux fois pour mon trajet d'hier soir (2,75 € à chaque fois). Pouvez-vous "
            "me rembourser ?")


def echoes(pair: Pair) -> None:
    pair("nz-010", QE, "en", Q_API, system=SYS_EN, params=P(0.8, 80), expect={"language": "en"},
         base="An API rate limit caps how many requests a client may send in a given time window, for example 100 "
              "per minute. Requests over the limit are rejected, usually with HTTP 429, until the window resets.",
         rep=cut("It's a cap the API provider puts on how many calls you can make in a given window (per second, "
                 "minute or day), usually counted per API key or IP address. Go over it and the server rejects "
                 "further requests, typically with HTTP 429 Too Many Requests and a Retry-After header telling you "
                 "how long to"),
         cand=Q_API, verdict="regression", checks=["degenerate.echo"],
         why="the question repeated word for word, no answer")

    pair("nz-011", SM, "de", "Fasse die folgende Meldung in einem Satz zusammen:\n\n" + SRC_FREIBURG,
         params=P(0.7, 150), expect={"language": "de"},
         base="Ab dem 1. März hat die Stadtbibliothek Freiburg dank Selbstbedienung werktags bis 21 Uhr und "
              "samstags bis 18 Uhr geöffnet, wie es sich zwei Drittel der Nutzer gewünscht hatten.",
         rep="Die Freiburger Stadtbibliothek öffnet ab März länger (werktags bis 21, samstags bis 18 Uhr), weil "
             "Mitglieder abends per Selbstbedienung ausleihen können, eine Reaktion auf den Wunsch vieler Nutzer.",
         cand=SRC_FREIBURG, verdict="regression", checks=["degenerate.echo"],
         why="the article copied back unchanged instead of a one-sentence summary")

    pair("nz-012", QJ, "ja", Q_TAX, system=SYS_JA, params=P(0.9, 200),
         base="日本の消費税の標準税率は10％です。ただし、酒類と外食を除く飲食料品や、定期購読の新聞には"
              "8％の軽減税率が適用されます。",
         rep="標準税率は10%で、食料品（お酒・外食を除く）と週2回以上発行される定期購読の新聞は軽減税率の8%です。"
             "テイクアウトは8%、店内での飲食は10%になります。",
         cand="ユーザー: " + Q_TAX, verdict="regression", checks=["degenerate.echo"],
         why="the user's question given back with a role prefix (ユーザー:), no answer")

    pair("nz-013", SU, "fr", Q_CHARGE, system=SYS_SU, params=P(0.7, 200), expect={"language": "fr"},
         base="Bonjour, désolé pour ce double débit ! Le montant prélevé en trop (2,75 €) sera remboursé sur votre "
              "moyen de paiement sous 5 jours ouvrés.",
         rep="Toutes nos excuses pour ce double prélèvement. Le second débit de 2,75 € vous sera remboursé sur votre "
             "moyen de paiement d'ici 5 jours ouvrés ; vous n'avez rien d'autre à faire.",
         cand=Q_CHARGE, verdict="regression", checks=["degenerate.echo"],
         why="the customer's message repeated back verbatim instead of a reply")


# ---------------------------------------------------------------------------------------------
# list.count: a list the request asks for, or the primary always gives, run into one sentence
# ---------------------------------------------------------------------------------------------

def run_on_lists(pair: Pair) -> None:
    pair("nz-014", BU, "en", "List 3 quick tips for a job interview, as bullet points.", params=P(0.8, 80),
         expect={"bullets": 3, "language": "en"},
         base="- Research the company and the role before you go\n- Prepare two or three concrete stories that "
              "show your skills\n- Have a couple of thoughtful questions ready for the interviewer",
         rep=cut("- Learn what the company does, who its customers are and why the role exists, so you can link "
                 "your experience to their needs\n- Practise answers to common questions out loud, especially "
                 "\"Tell me about yourself\" and a time you solved a hard problem\n- Arrive ten minutes early with a "
                 "copy of your CV and a short list of"),
         cand="Make sure you research the company beforehand and practise your answers to common questions and "
              "also prepare some questions of your own to ask at the end because it shows you are genuinely "
              "interested in the role.",
         verdict="regression", checks=["list.count"],
         why="three bullets asked for; the candidate writes one run-on sentence (the replica's third bullet is "
             "cut by the limit, but it is there)")

    pair("nz-015", BU, "de", "Nenne 4 Vorteile, im Alltag Fahrrad zu fahren. Als Stichpunkte.", params=P(0.9, 200),
         expect={"bullets": 4, "language": "de"},
         base="- Bewegung ganz nebenbei, gut für Herz und Kreislauf\n- In der Stadt oft schneller als das Auto, "
              "keine Parkplatzsuche\n- Spart Geld für Sprit, Tickets und Parken\n- Kein CO₂-Ausstoß und kein Lärm",
         rep="- Du bleibst fit, ohne extra Zeit fürs Training\n- In der Stadt oft das schnellste Verkehrsmittel\n"
             "- Günstig: kein Benzin, kein Parkticket\n- Umweltfreundlich und leise",
         cand="Radfahren im Alltag ist gesund und man bewegt sich jeden Tag und es ist in der Stadt oft schneller "
              "als das Auto und man spart Geld für Benzin und Parken und außerdem ist es gut für die Umwelt.",
         verdict="regression", checks=["list.count"],
         why="four bullet points asked for; the candidate strings them together with 'und' in one sentence")

    pair("nz-016", QE, "en", "What should I pack for a weekend hiking trip?", system=SYS_EN, params=P(0.8, 300),
         base="Here's a solid checklist:\n- Broken-in hiking boots and wool socks\n- Rain jacket and a warm layer\n"
              "- Map or offline GPS app, plus a power bank\n- 2 litres of water per day and easy snacks\n"
              "- First-aid kit and blister plasters\n- Headlamp, sunscreen and a hat",
         rep="- Sturdy, broken-in boots\n- Layers: base layer, fleece, waterproof shell\n- Water (or a filter) and "
             "high-energy snacks\n- Navigation: map, compass or offline maps\n- Small first-aid kit\n"
             "- Headlamp with spare batteries\n- Sun protection: hat, sunglasses, sunscreen",
         cand="You should pack good boots and layers including a rain jacket along with enough water and snacks "
              "and a map and a first-aid kit and a headlamp and sunscreen so you are ready for anything.",
         verdict="regression", checks=["list.count"],
         why="no count was asked, but the primary always lists (6 and 7 items); the candidate gives one "
             "run-on sentence")

    pair("nz-017", BU, "ja", "在宅勤務で集中力を保つコツを3つ、箇条書きで教えてください。", params=P(0.7, 200),
         expect={"bullets": 3, "language": "ja"},
         base="- 仕事専用のスペースを決める\n- 始業と終業の時間を決めて守る\n- 通知をオフにして集中する時間帯を作る",
         rep="- 仕事をする場所と休む場所を分ける\n- 25分作業して5分休むように時間を区切る\n- スマホは別の部屋に置く",
         cand="在宅勤務で集中力を保つには、仕事専用の場所を作り、時間を区切って休憩を取りながら、スマホの通知を"
              "オフにすることが大切です。",
         verdict="regression", checks=["list.count"],
         why="three bullet points asked for; the candidate answers in a single sentence")


# ---------------------------------------------------------------------------------------------
# truncated: a wordy answer stopped by max_tokens where both primary samples finish
# ---------------------------------------------------------------------------------------------

SRC_NAGANO = ("長野県のある村では、今年から廃校になった小学校をワーケーション施設として活用している。教室を個室の"
              "ワークスペースに改装し、高速インターネットを整備した。利用者は首都圏の会社員が中心で、開業から半年で"
              "延べ2,000人が訪れた。村は地元の農家と連携し、利用者が収穫体験に参加できるプログラムも用意している。"
              "一方で、冬場の利用者の減少が課題となっている。")


def truncations(pair: Pair) -> None:
    pair("nz-018", QE, "en", "How does compound interest work?", system=SYS_EN, params=P(0.8, 110),
         base="Compound interest means you earn interest on your interest. Each period the interest is added to "
              "your balance, so the next period's interest is calculated on a bigger amount: $1,000 at 5% a year "
              "becomes $1,050 after one year and $1,102.50 after two. Over decades this snowballs, which is why "
              "starting early matters.",
         rep="The interest you earn is added to the principal, and future interest is calculated on that larger "
             "total. So $1,000 at 5% grows to $1,050, then $1,102.50, then about $1,157.63. The longer you wait, "
             "the faster it grows.",
         cand=cut("Great question! Compound interest is one of the most powerful ideas in personal finance, and "
                  "understanding it can really change the way you think about saving and investing. In simple "
                  "terms, compound interest is interest calculated not only on the original amount of money you "
                  "deposit or invest, which is called the principal, but also on all of the interest that has "
                  "already been added to it in earlier periods. To give you a concrete example, imagine that you"),
         verdict="regression", checks=["truncated"],
         why="the candidate spends the whole token budget on a preamble and is cut before the example; both "
             "primary samples finish")

    pair("nz-019", QF, "fr", "Pourquoi la mer est-elle salée ?", system=SYS_FR, params=P(0.9, 120),
         base="L'eau de pluie érode les roches et entraîne des sels minéraux (sodium, chlorure, magnésium…) vers "
              "les rivières, puis vers la mer. Quand l'eau de mer s'évapore, le sel reste : il s'est accumulé "
              "pendant des millions d'années.",
         rep="Parce que les rivières y apportent sans cesse des minéraux arrachés aux roches par l'érosion. "
             "L'évaporation retire l'eau mais pas le sel, qui s'accumule donc depuis des millions d'années, "
             "jusqu'à environ 35 g par litre.",
         cand=cut("Excellente question ! La salinité de la mer est un phénomène fascinant qui s'explique par "
                  "plusieurs processus géologiques et chimiques qui se déroulent depuis des millions d'années. "
                  "Tout d'abord, il faut savoir que l'eau de pluie est légèrement acide, car elle dissout un peu "
                  "du dioxyde de carbone de l'atmosphère. Lorsqu'elle tombe sur les continents, cette eau attaque "
                  "lentement les roches et en dissout certains minéraux, notamment le sodium et le calcium. Ces "
                  "minéraux sont ensuite transportés par les ruisseaux et les rivières jusqu'à"),
         verdict="regression", checks=["truncated"],
         why="cut by the token limit mid-sentence before reaching evaporation; both primary samples answer fully")

    pair("nz-020", SU, "de", "Ich habe gestern in einem Rad meine Kopfhörer liegen lassen. Was kann ich tun?",
         system=SYS_SU, params=P(0.7, 80), expect={"language": "de"},
         base="Das tut mir leid! Bitte melde den Verlust in der App unter Hilfe > Fundsache und wähle die Fahrt "
              "von gestern aus. Wir prüfen das Rad und melden uns, sobald die Kopfhörer gefunden wurden.",
         rep="Ärgerlich! Öffne in der App Hilfe > Fundsache, wähle deine gestrige Fahrt aus und beschreib die "
             "Kopfhörer kurz. Wir melden uns bei dir, sobald wir etwas finden.",
         cand=cut("Das tut mir wirklich sehr leid zu hören, und ich kann gut verstehen, wie ärgerlich es ist, wenn "
                  "man etwas Wertvolles wie Kopfhörer verliert, vor allem wenn man sie jeden Tag benutzt. Keine "
                  "Sorge, wir helfen dir gerne weiter und tun unser Bestes, damit du sie zurückbekommst. Als "
                  "Erstes möchte ich dich bitten, in der App den Bereich"),
         verdict="regression", checks=["truncated"],
         why="three sentences of sympathy, then cut by the limit before saying where to report the item")

    pair("nz-021", SM, "ja", "次の記事を2〜3文で要約してください。\n\n" + SRC_NAGANO, params=P(0.8, 120),
         base="長野県の村が廃校の小学校をワーケーション施設に改装し、半年で延べ2,000人が利用した。"
              "農家と連携した収穫体験も提供しているが、冬場の利用者減少が課題だ。",
         rep="長野県のある村は、廃校を高速ネット付きのワーケーション施設として再生し、首都圏の会社員を中心に"
             "半年で延べ2,000人を集めた。収穫体験などの取り組みもある一方、冬の集客が課題となっている。",
         cand=cut("この記事は、長野県のある村が、廃校になった小学校を活用してワーケーション施設を運営しているという"
                  "内容です。まず、村では教室を個室のワークスペースに改装し、高速インターネット環境を整備しました。"
                  "その結果、主に首都圏で働く会社員が利用するようになり、開業からわずか"),
         verdict="regression", checks=["truncated"],
         why="a wordy retelling cut by the token limit before the challenge is mentioned; both samples finish")


# ---------------------------------------------------------------------------------------------
# degenerate.cutoff: stops mid-sentence although finish_reason says "stop" (or says nothing)
# ---------------------------------------------------------------------------------------------

def cutoffs(pair: Pair) -> None:
    pair("nz-022", QE, "en", "What causes the seasons?", system=SYS_EN, params=P(0.8, 120),
         base="Earth's axis is tilted about 23.5° relative to its orbit. As Earth goes around the Sun, each "
              "hemisphere spends part of the year tilted toward the Sun (long days, direct sunlight: summer) and "
              "part tilted away (short days, low sun: winter). Distance has little to do with it: Earth is closest "
              "to the Sun in early January.",
         rep=cut("Seasons happen because Earth's axis is tilted by about 23.4° relative to the plane of its orbit, "
                 "and the tilt always points the same way in space. So as Earth travels around the Sun, first one "
                 "hemisphere and then the other leans toward it. The hemisphere leaning toward the Sun gets "
                 "sunlight at a steeper angle, which concentrates the energy on a smaller area, and it also gets "
                 "longer days: that's summer. Six months later the same hemisphere leans away, the Sun stays low "
                 "and"),
         cand=halt("The seasons are caused by the tilt of Earth's axis, which is about 23.4 degrees. As Earth "
                   "orbits the Sun, the hemisphere that is tilted toward the Sun receives more direct sunlight and"),
         verdict="regression", checks=["degenerate.cutoff"],
         why="stops mid-sentence ('...more direct sunlight and') with finish_reason stop, well below the "
             "limit; the replica is cut at the 120 limit, which is a different thing")

    pair("nz-023", QD, "de", "Warum sollte man Nudelwasser salzen?", system=SYS_DE, params=P(0.9, 160),
         base="Salz würzt die Nudeln von innen, weil sie es beim Kochen zusammen mit dem Wasser aufnehmen; später "
              "lässt sich das kaum nachholen. Als Faustregel gilt etwa 10 g Salz pro Liter. Dass gesalzenes Wasser "
              "schneller kocht, ist übrigens ein Mythos.",
         rep="Vor allem für den Geschmack: Die Nudeln nehmen beim Garen Wasser und damit auch Salz auf und "
             "schmecken dadurch würziger. Üblich sind rund 10 Gramm pro Liter.",
         cand=unreported("Nudelwasser salzt man hauptsächlich wegen des Geschmacks. Die Nudeln nehmen beim Kochen "
                         "Wasser auf, und wenn dieses gesalzen ist, werden sie gleichmäßig von innen gewürzt. Als "
                         "Faustregel gilt etwa"),
         verdict="regression", checks=["degenerate.cutoff"],
         why="breaks off at 'Als Faustregel gilt etwa' with no finish_reason, well below the token limit")

    pair("nz-024", CR, "fr", "Écris un court message pour la carte de départ à la retraite de ma collègue Claire.",
         params=P(0.9, 200),
         base="Chère Claire, après toutes ces années à partager tes bons conseils, ton humour et tes gâteaux du "
              "vendredi, le bureau va nous sembler bien calme ! Nous te souhaitons une retraite pleine de voyages "
              "et de grasses matinées. Tu vas nous manquer. Toute l'équipe",
         rep="Claire, merci pour ta bonne humeur, ta patience et tous les coups de main donnés au fil des années. "
             "Profite bien de cette nouvelle vie : tu l'as amplement méritée ! Avec toute notre affection, tes "
             "collègues",
         cand=halt("Chère Claire, toute l'équipe te souhaite une merveilleuse retraite ! Merci pour ta gentillesse "
                   "et pour tous les moments partagés au bureau. Profite bien de ton temps libre pour"),
         verdict="regression", checks=["degenerate.cutoff"],
         why="the card message stops at 'Profite bien de ton temps libre pour' with finish_reason stop")

    pair("nz-025", QJ, "ja", "ドリップコーヒーをおいしく淹れるコツは？", system=SYS_JA, params=P(0.7, 160),
         base="豆は淹れる直前に中細挽きにし、お湯は沸騰後少し置いて90℃前後にします。最初に少量のお湯で20〜30秒"
              "蒸らし、その後は中心から「の」の字を描くようにゆっくり注ぐのがポイントです。",
         rep="挽きたての豆を使い、お湯を90℃くらいに下げてから淹れましょう。はじめに粉全体を湿らせて30秒ほど"
             "蒸らすと香りがしっかり出ます。注ぐときは細く、ゆっくりが基本です。",
         cand=unreported("おいしく淹れるコツは、まず新鮮な豆を使うことです。豆は淹れる直前に挽き、お湯は90℃くらいに"
                         "します。最初に少しお湯を注いで"),
         verdict="regression", checks=["degenerate.cutoff"],
         why="breaks off mid-sentence ('最初に少しお湯を注いで') with no finish_reason")


# ---------------------------------------------------------------------------------------------
# truncated far earlier: the candidate was called with a carried-over limit of 20 tokens
# instead of the request's 96; one primary sample itself runs into the 96
# ---------------------------------------------------------------------------------------------

def early_limits(pair: Pair) -> None:
    pair("nz-026", QE, "en", "Why do onions make you cry?", system=SYS_EN, params=P(0.8, 96),
         base="Cutting an onion breaks its cells and releases enzymes that turn sulfur compounds into a gas, "
              "syn-propanethial-S-oxide. When it reaches your eyes it irritates the nerves, and your eyes make "
              "tears to wash it away. A chilled onion and a sharp knife help.",
         rep=cut("When you slice an onion you rupture its cells, and two things that were kept apart mix: "
                 "sulfur-containing amino acids and an enzyme called alliinase. The reaction produces sulfenic "
                 "acids, which another enzyme turns into syn-propanethial-S-oxide, a volatile gas. It drifts up to "
                 "your eyes, stimulates the nerves of the cornea, and your tear glands respond by flushing your eyes "
                 "with tears to wash the"),
         cand=cut("When you cut an onion, you break its cells, which releases enzymes that react with", 20),
         verdict="regression", checks=["truncated"],
         why="cut at 20 tokens, before any explanation; the primary finishes or runs to the request's 96")

    pair("nz-027", SU, "de", "Wie beende ich meine Fahrt? Die App zeigt immer noch „Fahrt aktiv“.",
         system=SYS_SU, params=P(0.7, 96), expect={"language": "de"},
         base=cut("Das klingt ärgerlich, lass uns das lösen. Eine Fahrt endet erst, wenn das Rad innerhalb einer "
                  "Parkzone abgeschlossen ist. Prüfe bitte in der Karte der App, ob du in einer Parkzone stehst, "
                  "und drück dann den Hebel des Hinterradschlosses ganz nach unten, bis er hörbar einrastet. Wenn "
                  "die App danach weiterhin „Fahrt aktiv“ anzeigt, schließe sie einmal komplett und öffne sie neu. "
                  "Bleibt die Anzeige, melde dich bitte"),
         rep="Die Fahrt endet erst, wenn das Rad in einer Parkzone abgeschlossen ist. Schau in der App-Karte nach, "
             "ob du in einer Parkzone stehst, und drück den Schlosshebel ganz nach unten. Hilft das nicht, melde "
             "dich unter Hilfe > Fahrzeugproblem, dann beenden wir die Fahrt für dich.",
         cand=cut("Eine Fahrt endet erst, wenn das Rad innerhalb einer Parkzone abgeschlossen ist. Bitte prüfe", 20),
         verdict="regression", checks=["truncated"],
         why="stops at 20 tokens ('Bitte prüfe'), before telling the customer what to do; the primary uses up to 96")

    pair("nz-028", QF, "fr", "Comment fonctionne la photosynthèse, en quelques phrases ?", system=SYS_FR,
         params=P(0.9, 96),
         base="Les plantes captent la lumière grâce à la chlorophylle de leurs feuilles. Cette énergie leur sert à "
              "transformer le dioxyde de carbone de l'air et l'eau puisée par les racines en glucose. Le dioxygène "
              "est rejeté comme sous-produit.",
         rep=cut("La photosynthèse se déroule dans les chloroplastes des feuilles. Dans une première phase, la "
                 "chlorophylle absorbe l'énergie lumineuse, ce qui permet de décomposer des molécules d'eau : on "
                 "obtient du dioxygène, rejeté dans l'air, et des molécules riches en énergie (ATP et NADPH). Dans "
                 "une seconde phase, le cycle de Calvin, la plante utilise cette énergie pour fixer le dioxyde "
                 "de carbone et"),
         cand=cut("La photosynthèse est le processus par lequel les plantes vertes utilisent l'énergie de la "
                  "lumière", 20),
         verdict="regression", checks=["truncated"],
         why="cut at 20 tokens in the first sentence; the primary's samples end or run to the request's 96")

    pair("nz-029", QJ, "ja", "夕焼けはなぜ赤いのですか？", system=SYS_JA, params=P(0.8, 96),
         base="夕方は太陽の光が大気の中を通る距離が長くなります。その間に青い光は散乱されて届きにくくなり、"
              "散乱されにくい赤やオレンジの光が多く目に届くため、空が赤く見えます。",
         rep=cut("太陽の光にはいろいろな色が含まれていますが、波長の短い青い光ほど空気の分子にぶつかって散らばり"
                 "やすい性質があります。昼間はこの青い光で空が青く見えます。ところが夕方は太陽が低いため、"
                 "光が大気を通る距離がずっと長くなり、"),
         cand=cut("夕焼けが赤いのは、太陽の光が大気を通る距離が", 20),
         verdict="regression", checks=["truncated"],
         why="cut at 20 tokens in the first clause; the primary explains scattering (once up to the 96 limit)")


# ---------------------------------------------------------------------------------------------
# language: a short answer in English to a question asked in another language
# ---------------------------------------------------------------------------------------------

def wrong_languages(pair: Pair) -> None:
    pair("nz-030", QD, "de", "Wie lange muss ein Ei kochen, damit es wachsweich ist?", system=SYS_DE,
         params=P(0.8, 64), expect={"language": "de"},
         base="Ein mittelgroßes Ei aus dem Kühlschrank braucht in sprudelnd kochendem Wasser etwa 6 bis 7 Minuten; "
              "dann ist das Eiweiß fest und das Eigelb noch cremig. Danach kurz kalt abschrecken.",
         rep=cut("Für ein wachsweiches Ei rechnet man etwa 6 Minuten, wenn es Größe M hat, direkt aus dem "
                 "Kühlschrank kommt und erst ins sprudelnd kochende Wasser gegeben wird. Bei Größe L solltest du "
                 "eher 7 Minuten einplanen, bei Eiern mit Zimmertemperatur etwa eine halbe Minute weniger. "
                 "Anschließend sofort kalt abschrecken, damit sie nicht"),
         cand="About 6 to 7 minutes in boiling water.",
         verdict="regression", checks=["language"],
         why="a correct one-liner, but in English to a German question (expect.language is de)")

    pair("nz-031", QJ, "ja", "パスタをゆでるとき、塩はどのくらい入れればいいですか？", params=P(0.9, 150),
         base="お湯に対して1%程度が目安です。1リットルのお湯なら塩10グラム（小さじ2弱）くらいです。",
         rep="目安はお湯の量の約1％です。たとえば2リットルなら20g、大さじ1強くらい入れましょう。ソースの塩気が"
             "強いときは少し控えめでも大丈夫です。",
         cand="Use about 10 g of salt per litre of water.",
         verdict="regression", checks=["language"],
         why="English to a Japanese question (no expect.language; the asker's language is the contract)")

    pair("nz-032", QF, "fr", "Quelle est la différence entre un crocodile et un alligator ?", params=P(0.8, 200),
         base="La plus visible est le museau : large et arrondi en U chez l'alligator, plus fin et en V chez le "
              "crocodile. Gueule fermée, le crocodile laisse voir sa grande quatrième dent du bas, pas l'alligator. "
              "Les crocodiles tolèrent aussi mieux l'eau salée.",
         rep="On les distingue surtout à la tête : l'alligator a un museau large en forme de U, le crocodile un "
             "museau pointu en V, avec des dents du bas visibles gueule fermée. L'alligator vit surtout en eau "
             "douce, le crocodile supporte l'eau salée.",
         cand="Alligators have a wide U-shaped snout, crocodiles a narrower V-shaped one.",
         verdict="regression", checks=["language"],
         why="one line of English to a French question (no expect.language)")

    pair("nz-033", SU, "de", "Hallo, wie viel kostet eine Fahrt in Berlin pro Minute?", system=SYS_SU,
         params=P(0.7, 120), expect={"language": "de"},
         base="Hallo! In Berlin kostet eine Fahrt 0,25 € pro Minute. Abgerechnet wird, bis du das Rad in einer "
              "Parkzone abschließt.",
         rep="Hi! Eine Fahrt in Berlin kostet 0,25 € pro Minute; sie endet, sobald du das Rad in einer Parkzone "
             "abschließt. Gute Fahrt!",
         cand="Hi! Rides in Berlin cost €0.25 per minute.",
         verdict="regression", checks=["language"],
         why="the right price, but in English to a German customer; the system prompt asks for their language")


# ---------------------------------------------------------------------------------------------
# degenerate.length: a runaway answer many times longer than the primary's, rambling
# ---------------------------------------------------------------------------------------------

RAMBLE_EN = (
    "Great question! The capital of Australia is Canberra, although a lot of people assume it's Sydney, which is "
    "completely understandable because Sydney is the largest and most famous city in Australia, home to the "
    "Sydney Opera House and the Harbour Bridge, two of the most recognisable landmarks in the world. Melbourne is "
    "also a very large and important city, often ranked among the most liveable cities in the world, with a "
    "famous coffee culture, laneways and sporting events like the Australian Open and the Melbourne Cup.\n\n"
    "To understand why Canberra is the capital, it helps to go back in history. Before 1901, Australia was not a "
    "single country but a collection of separate British colonies, such as New South Wales and Victoria, each "
    "with its own government. When these colonies decided to join together in a federation, there was a lot of "
    "discussion about many things, including which city should be the capital. Sydney and Melbourne were great "
    "rivals at the time, and neither wanted the other to be chosen. Interestingly, Melbourne actually served as "
    "the temporary seat of government for many years.\n\n"
    "The site for Canberra was chosen in 1908, and an international design competition was won by the American "
    "architects Walter Burley Griffin and Marion Mahony Griffin. Canberra is known for its planned layout, Lake "
    "Burley Griffin, Parliament House, the Australian War Memorial and many national institutions. It's also a "
    "lovely place to visit in autumn, when the trees change colour.\n\n"
    "In conclusion, while Sydney is the most famous city, Canberra is the capital of Australia, and this is a "
    "good example of how history and politics can shape a country in surprising ways. I hope this helps! Let me "
    "know if you have any other questions about Australia or its cities.")

RAMBLE_DE = (
    "Das ist eine sehr gute und auch sehr häufig gestellte Frage, denn Tomaten gehören zu den beliebtesten "
    "Gemüsesorten in Deutschland, auch wenn sie botanisch gesehen eigentlich zu den Beeren zählen. Tomaten stammen "
    "ursprünglich aus Mittel- und Südamerika und kamen im 16. Jahrhundert nach Europa, wo man sie zunächst als "
    "Zierpflanze hielt, weil man die Früchte für giftig hielt. Heute gibt es Tausende Sorten, von Kirschtomaten "
    "über Rispentomaten bis hin zu Fleischtomaten und Ochsenherzen, die sich in Geschmack, Größe und Farbe "
    "deutlich unterscheiden.\n\n"
    "Was die Lagerung betrifft, gibt es verschiedene Meinungen, und viele Menschen legen ihre Tomaten aus "
    "Gewohnheit in den Kühlschrank, weil sie glauben, dass sie dort länger frisch bleiben. Grundsätzlich ist es "
    "aber so, dass Tomaten Wärme lieben, denn sie wachsen ja auch in warmen Regionen und im Sommer. Im Kühlschrank "
    "kann es passieren, dass sie an Geschmack verlieren, was natürlich schade ist, wenn man sich auf einen "
    "leckeren Tomatensalat mit Mozzarella und Basilikum gefreut hat. Apropos Tomatensalat: Ein gutes Olivenöl und "
    "etwas Salz können den Geschmack von Tomaten wunderbar hervorheben, und auch ein Spritzer Balsamico passt "
    "hervorragend.\n\n"
    "Außerdem sollte man beachten, dass Tomaten das Reifegas Ethylen abgeben, das anderes Obst und Gemüse "
    "schneller reifen oder verderben lässt, weshalb man sie am besten getrennt aufbewahrt. Zusammenfassend lässt "
    "sich also sagen, dass viele Faktoren bei der Lagerung von Tomaten eine Rolle spielen und dass jeder für sich "
    "selbst herausfinden sollte, was am besten funktioniert. Ich hoffe, diese ausführlichen Informationen helfen "
    "dir weiter, und ich wünsche dir viel Freude beim Genießen deiner Tomaten!")

RAMBLE_FR = (
    "Ah, la pâte à pizza ! C'est un sujet passionnant, car la pizza est sans doute l'un des plats les plus "
    "populaires au monde, et sa pâte en est véritablement l'âme. La pizza telle que nous la connaissons est née "
    "à Naples, en Italie, au XVIIIe siècle, et la célèbre pizza Margherita aurait été créée en 1889 en l'honneur "
    "de la reine Marguerite de Savoie, avec ses couleurs rappelant le drapeau italien : le rouge de la tomate, "
    "le blanc de la mozzarella et le vert du basilic.\n\n"
    "Pour réussir sa pâte, il faut d'abord bien choisir sa farine. En Italie, on utilise souvent de la farine de "
    "type 00, très fine, mais on peut aussi utiliser une farine T45 ou T55 que l'on trouve facilement en France. "
    "La levure est également importante : levure de boulanger fraîche, levure sèche ou même levain naturel, "
    "chacune donne un résultat un peu différent. L'eau, le sel et un filet d'huile d'olive complètent la recette, "
    "et certains ajoutent même une pincée de sucre.\n\n"
    "Le temps de levée dépend de nombreux facteurs, comme la température de la pièce, la quantité de levure, "
    "l'humidité ou encore le type de farine utilisé. Il est donc difficile de donner une réponse unique, et "
    "chaque pizzaïolo a ses propres habitudes et ses petits secrets. La cuisson joue d'ailleurs aussi un rôle "
    "essentiel : un four traditionnel au feu de bois peut atteindre 450 °C, alors qu'un four domestique dépasse "
    "rarement 250 °C, ce qui change beaucoup le résultat final.\n\n"
    "En résumé, la pâte à pizza est un art qui demande de la patience et un peu d'expérience, et le mieux est de "
    "faire plusieurs essais pour trouver la méthode qui vous convient. J'espère que ces informations vous seront "
    "utiles, et bon appétit !")

RAMBLE_JA = (
    "おにぎりは日本人にとってとても身近な食べ物で、お弁当やピクニック、コンビニなど、さまざまな場面で親しまれて"
    "います。その歴史は古く、弥生時代の遺跡からおにぎりのような米の塊が見つかったともいわれています。平安時代には"
    "「屯食（とんじき）」と呼ばれるおにぎりの原型があったそうです。\n\n"
    "さて、手に塩をつける理由ですが、これにはいくつかの考え方があります。まず、味の面です。おにぎりは冷めても"
    "おいしく食べられるように作られることが多いため、塩味がとても大切です。また、具材との相性もあります。梅干しや"
    "鮭、昆布、おかかなど、定番の具材はたくさんありますが、最近ではツナマヨや唐揚げなど、新しい具材も人気です。\n\n"
    "次に、作り方の面です。ご飯は炊きたてを使うのが一般的ですが、熱すぎるとやけどをしてしまうので、少し冷ましてから"
    "握るとよいでしょう。形も三角形、俵形、丸形など地域や家庭によってさまざまで、関東では三角形、関西では俵形が"
    "多いともいわれています。海苔を巻くタイミングも、食べる直前に巻くパリパリ派と、最初から巻いておくしっとり派に"
    "分かれます。\n\n"
    "さらに、保存の面もあります。昔は冷蔵庫がなかったので、食べ物を長持ちさせる工夫がいろいろとされてきました。"
    "このように、おにぎりにはたくさんの知恵と工夫が詰まっています。ぜひいろいろな具材や形を試して、自分だけの"
    "おにぎりを楽しんでみてください。")


def runaways(pair: Pair) -> None:
    pair("nz-034", QE, "en", "What's the capital of Australia, and why isn't it Sydney?", system=SYS_EN,
         params=P(0.9, 800), expect={"language": "en"},
         base="Canberra. When the colonies federated in 1901, Sydney and Melbourne both wanted to be the capital, "
              "so as a compromise a new city was built between them; Parliament moved there in 1927.",
         rep="The capital is Canberra. Sydney and Melbourne were rivals, so the constitution required a capital in "
             "New South Wales but at least 100 miles from Sydney. Canberra was purpose-built for it.",
         cand=RAMBLE_EN, verdict="regression", checks=["degenerate.length"],
         why="about nine times the primary's length: landmarks, coffee culture and autumn trees around a "
             "two-sentence answer")

    pair("nz-035", QD, "de", "Soll ich Tomaten in den Kühlschrank legen?", system=SYS_DE, params=P(0.8, 800),
         base="Besser nicht: Unter etwa 10 °C verlieren Tomaten Aroma und werden mehlig. Lagere sie bei "
              "Zimmertemperatur und nicht neben Äpfeln oder Bananen; nur angeschnittene Tomaten gehören abgedeckt "
              "in den Kühlschrank.",
         rep="Lieber nicht. Im Kühlschrank gehen Aromastoffe verloren und die Konsistenz leidet. Am besten bei "
             "Raumtemperatur aufbewahren, nur angeschnittene Tomaten kurz kühlen.",
         cand=RAMBLE_DE, verdict="regression", checks=["degenerate.length"],
         why="rambles through tomato history and salad tips, many times the primary's length, and never gives a "
             "clear yes or no")

    pair("nz-036", QF, "fr", "Combien de temps faut-il laisser lever une pâte à pizza ?", system=SYS_FR,
         params=P(1.0, 800), expect={"language": "fr"},
         base="Au minimum 1 à 2 heures à température ambiante, jusqu'à ce que la pâte double de volume. Pour plus "
              "de goût, laissez-la lever 24 à 48 heures au réfrigérateur, puis sortez-la une heure avant de "
              "l'étaler.",
         rep="Comptez environ 2 heures à température ambiante, le temps qu'elle double de volume. Une pousse lente "
             "de 24 h au frigo donne une pâte plus digeste et plus savoureuse.",
         cand=RAMBLE_FR, verdict="regression", checks=["degenerate.length"],
         why="a long digression (Naples, flours, ovens) many times the primary's length that never gives a time")

    pair("nz-037", QJ, "ja", "おにぎりを握るとき、手に塩をつけるのはなぜですか？", system=SYS_JA, params=P(0.9, 800),
         base="ご飯の表面に均一に塩味をつけるためと、手にご飯がくっつきにくくなるためです。塩には殺菌効果もあり、"
              "傷みにくくする意味もありました。",
         rep="表面に薄く塩味をつけておいしくするためです。また、ぬらした手に塩をつけるとご飯がくっつかず、"
             "塩の抗菌作用で日持ちもよくなります。",
         cand=RAMBLE_JA, verdict="regression", checks=["degenerate.length"],
         why="rambles about onigiri history, fillings and shapes at many times the primary's length")


# ---------------------------------------------------------------------------------------------
# answer.exact with gold: a different short answer where the request asks for the number,
# one word, or yes/no, and expect.answer holds the right one
# ---------------------------------------------------------------------------------------------

def wrong_exact_answers(pair: Pair) -> None:
    pair("nz-038", SA, "en", "How many days does the year 2024 have? Reply with the number only.",
         params=P(0.8, 16), expect={"answer": "366"},
         base="366", rep="366 days.", cand="365",
         verdict="regression", checks=["answer.exact"],
         why="365 where the gold is 366 (2024 is a leap year); both primary samples say 366")

    pair("nz-039", SA, "en", "Is 91 a prime number? Answer yes or no.", params=P(0.9, 24),
         expect={"answer": "no"},
         base="No.", rep="No, 91 = 7 × 13.", cand="Yes",
         verdict="regression", checks=["answer.exact"],
         why="'Yes' where the gold is no (91 = 7 x 13)")

    pair("nz-040", SA, "de", "Wie viele Tage hat der Februar in einem Schaltjahr? Nur die Zahl.",
         params=P(0.7, 16), expect={"answer": "29", "language": "de"},
         base="29", rep="29 Tage", cand="28",
         verdict="regression", checks=["answer.exact"],
         why="28 where the gold is 29")

    pair("nz-041", SA, "fr", "Quel est le symbole chimique de l'or ? Réponds en un seul mot.", params=P(1.0, 16),
         expect={"answer": "Au"},
         base="Au", rep="Au.", cand="Ag",
         verdict="regression", checks=["answer.exact"],
         why="Ag (silver) where the gold is Au")

    pair("nz-042", SA, "ja", "日本の都道府県の数はいくつですか？数字だけで答えてください。", params=P(0.8, 16),
         expect={"answer": "47"},
         base="47", rep="４７", cand="43",
         verdict="regression", checks=["answer.exact"],
         why="43 (the number of ken alone) where the gold is 47; the replica writes 47 in full-width digits")


REGRESSIONS = (empty_answers, repetition_loops, echoes, run_on_lists, truncations, cutoffs, early_limits,
               wrong_languages, runaways, wrong_exact_answers)
