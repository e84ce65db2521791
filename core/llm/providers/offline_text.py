"""Phrase banks for the offline provider, in every course language it writes (en, ru).

Kept apart from the builder so the code stays readable and a translator can work on the
text alone. Placeholders: {topic}, {lesson}, {module}, {course}, {audience}, {minutes}.
"""

from __future__ import annotations

from typing import Any

# Each module focus: a title and five lesson subjects. The first and last focus open and
# close a course; the middle ones are ordered by a hash of the topic.
FOCUSES: dict[str, list[tuple[str, list[str]]]] = {
    "en": [
        (
            "Getting started with {topic}",
            [
                "What {topic} is and why it matters",
                "Key terms you will meet",
                "How the course is organised",
                "Setting your learning goals",
                "A first look at a real example",
            ],
        ),
        (
            "Core concepts",
            [
                "The main building blocks",
                "How the pieces fit together",
                "Useful mental models",
                "Reading and explaining examples",
                "Concepts in everyday work",
            ],
        ),
        (
            "Tools and working environment",
            [
                "Choosing the right tools",
                "Setting up your workspace",
                "Everyday commands and shortcuts",
                "Templates and checklists",
                "Keeping your work organised",
            ],
        ),
        (
            "Step-by-step workflows",
            [
                "Planning a piece of work",
                "Doing the work in small steps",
                "Reviewing and improving results",
                "Handing work over to others",
                "Documenting what you did",
            ],
        ),
        (
            "Hands-on practice",
            [
                "A guided exercise",
                "Practice on a realistic task",
                "Working from a brief",
                "Peer review session",
                "Timed practice round",
            ],
        ),
        (
            "Common mistakes and how to avoid them",
            [
                "Mistakes beginners make",
                "Warning signs to watch for",
                "Fixing problems calmly",
                "Preventing repeat errors",
                "Learning from real failures",
            ],
        ),
        (
            "Quality and measuring results",
            [
                "What good looks like",
                "Simple metrics that matter",
                "Checking your own work",
                "Collecting feedback",
                "Improving step by step",
            ],
        ),
        (
            "Real-world cases",
            [
                "A case from a small team",
                "A case from a large organisation",
                "Comparing two approaches",
                "What went right and what went wrong",
                "Adapting a case to your context",
            ],
        ),
        (
            "Collaboration and communication",
            [
                "Explaining your work to others",
                "Giving and receiving feedback",
                "Agreeing on standards",
                "Working with stakeholders",
                "Sharing knowledge in the team",
            ],
        ),
        (
            "Advanced techniques",
            [
                "Going beyond the basics",
                "Handling edge cases",
                "Optimising for speed and quality",
                "Combining techniques",
                "When not to use a technique",
            ],
        ),
        (
            "Automation and scaling",
            [
                "Spotting repetitive work",
                "Automating the simple parts",
                "Scaling to a bigger team",
                "Keeping automation reliable",
                "Measuring the time saved",
            ],
        ),
        (
            "Putting {topic} into practice",
            [
                "Planning your own project",
                "Building the project step by step",
                "Presenting your results",
                "Course review",
                "Your next steps",
            ],
        ),
    ],
    "ru": [
        (
            "Введение: {topic}",
            [
                "Что такое «{topic}» и зачем это нужно",
                "Основные термины",
                "Как устроен курс",
                "Ставим учебные цели",
                "Первый взгляд на реальный пример",
            ],
        ),
        (
            "Ключевые понятия",
            [
                "Основные строительные блоки",
                "Как части связаны между собой",
                "Полезные мысленные модели",
                "Как читать и объяснять примеры",
                "Понятия в повседневной работе",
            ],
        ),
        (
            "Инструменты и рабочая среда",
            [
                "Как выбрать инструменты",
                "Настраиваем рабочее место",
                "Повседневные команды и приёмы",
                "Шаблоны и чек-листы",
                "Порядок в рабочих материалах",
            ],
        ),
        (
            "Рабочий процесс шаг за шагом",
            [
                "Планирование задачи",
                "Работа небольшими шагами",
                "Проверка и улучшение результата",
                "Передача работы коллегам",
                "Документирование сделанного",
            ],
        ),
        (
            "Практикум",
            [
                "Упражнение с разбором",
                "Практика на реалистичной задаче",
                "Работа по техническому заданию",
                "Взаимная проверка",
                "Практика на время",
            ],
        ),
        (
            "Типичные ошибки и как их избежать",
            [
                "Ошибки новичков",
                "Тревожные сигналы",
                "Спокойно исправляем проблемы",
                "Как не повторять ошибки",
                "Уроки реальных неудач",
            ],
        ),
        (
            "Качество и измерение результатов",
            [
                "Как выглядит хороший результат",
                "Простые и полезные метрики",
                "Самопроверка",
                "Сбор обратной связи",
                "Постепенное улучшение",
            ],
        ),
        (
            "Реальные кейсы",
            [
                "Кейс небольшой команды",
                "Кейс крупной компании",
                "Сравниваем два подхода",
                "Что получилось, а что нет",
                "Переносим кейс на свою ситуацию",
            ],
        ),
        (
            "Командная работа и коммуникация",
            [
                "Как объяснять свою работу",
                "Обратная связь: давать и получать",
                "Договариваемся о стандартах",
                "Работа с заинтересованными сторонами",
                "Обмен знаниями в команде",
            ],
        ),
        (
            "Продвинутые приёмы",
            [
                "За пределами основ",
                "Нестандартные случаи",
                "Скорость и качество",
                "Комбинируем приёмы",
                "Когда приём лучше не применять",
            ],
        ),
        (
            "Автоматизация и масштабирование",
            [
                "Находим повторяющуюся работу",
                "Автоматизируем простые шаги",
                "Масштабирование на большую команду",
                "Надёжность автоматизации",
                "Оцениваем сэкономленное время",
            ],
        ),
        (
            "Итоговый проект: {topic}",
            [
                "Планируем собственный проект",
                "Выполняем проект по шагам",
                "Презентуем результаты",
                "Повторение курса",
                "Дальнейшие шаги",
            ],
        ),
    ],
}

# A lesson section: heading, paragraph, three bullets, one takeaway (a key point).
SECTIONS: dict[str, list[tuple[str, str, list[str], str]]] = {
    "en": [
        (
            "The core idea",
            "At the heart of “{lesson}” is a simple idea: results in {topic} come from small, "
            "deliberate steps rather than from one big leap. For {audience}, this means starting "
            "with a clear goal, choosing the smallest useful piece of work and checking it before "
            "moving on.",
            [
                "Name the goal before you start",
                "Break the work into steps you can check",
                "Review each step before the next one",
            ],
            "Small, checked steps beat one big leap",
        ),
        (
            "How it works step by step",
            "Most tasks in {topic} follow the same rhythm: prepare, do, check and share. Preparing "
            "means gathering inputs and agreeing on what “done” looks like. Doing is the focused "
            "work itself. Checking compares the result with the goal, and sharing turns your "
            "result into something others can use.",
            [
                "Prepare: inputs and a definition of done",
                "Do: focused work in short blocks",
                "Check and share: compare with the goal, then hand over",
            ],
            "Prepare, do, check, share: repeat the rhythm for every task",
        ),
        (
            "Where it is used",
            "You will meet the ideas of this lesson wherever {topic} touches everyday work: in "
            "planning meetings, in routine tasks and in reviews. Knowing where they apply helps "
            "{audience} recognise the right moment to use them instead of treating them as theory.",
            [
                "Planning and estimating work",
                "Routine tasks that repeat every week",
                "Reviews and retrospectives",
            ],
            "Recognise the situations where the technique pays off",
        ),
        (
            "Typical mistakes",
            "The most common mistakes are predictable: skipping preparation, trying to do "
            "everything at once and not checking the result. Each of them saves a few minutes "
            "today and costs hours later. Naming these mistakes out loud makes them much easier "
            "to catch early.",
            ["Starting without a clear goal", "Changing too many things at once", "Skipping the final check"],
            "Most problems come from skipped preparation or skipped checks",
        ),
        (
            "Good practices",
            "Good practice in {topic} is mostly about habits. Keep notes of what you tried, prefer "
            "simple solutions that others can understand, and ask for feedback while changes are "
            "still cheap. These habits matter more than any single tool.",
            [
                "Keep short notes of decisions",
                "Prefer the simplest solution that works",
                "Ask for feedback early",
            ],
            "Habits matter more than tools",
        ),
        (
            "Tools that help",
            "Tools do not replace understanding, but the right ones remove friction. A checklist, "
            "a shared template and a place to store examples already cover most needs. Add more "
            "advanced tools only when you can say which problem they solve.",
            [
                "A checklist for recurring tasks",
                "A shared template for results",
                "A library of good examples",
            ],
            "Add a tool only when you can name the problem it solves",
        ),
        (
            "Checking your result",
            "Before calling a task finished, compare the result with the goal you named at the "
            "start. Ask three questions: does it do what was needed, would a colleague understand "
            "it, and could you repeat it next week? If any answer is no, you know exactly what to "
            "fix.",
            ["Does it meet the goal?", "Would a colleague understand it?", "Could you repeat it next week?"],
            "Check every result against the goal you set at the start",
        ),
        (
            "Trade-offs to keep in mind",
            "Every choice in {topic} trades something: speed against thoroughness, flexibility "
            "against simplicity. There is rarely a perfect option. Make the trade-off explicit, "
            "write down why you chose it and revisit the decision when the situation changes.",
            [
                "Speed versus thoroughness",
                "Flexibility versus simplicity",
                "Revisit decisions when the context changes",
            ],
            "Make trade-offs explicit and write down why",
        ),
        (
            "Working with others",
            "Results in {topic} rarely belong to one person. Share drafts early, agree on a common "
            "vocabulary and make it easy for others to review your work. The time spent "
            "explaining pays back when the team can build on what you made.",
            ["Share drafts early", "Agree on common terms", "Make review easy"],
            "Share early so others can build on your work",
        ),
        (
            "A quick self-check",
            "Take two minutes to test yourself. Without looking at your notes, explain the main "
            "idea of “{lesson}” in three sentences, name one mistake to avoid and describe one "
            "situation from your work where you will use it.",
            [
                "Explain the main idea in three sentences",
                "Name one mistake to avoid",
                "Pick one situation to apply it",
            ],
            "Explaining the idea in your own words shows you have learned it",
        ),
    ],
    "ru": [
        (
            "Главная идея",
            "В основе урока «{lesson}» лежит простая мысль: результат в теме «{topic}» "
            "складывается из небольших осознанных шагов, а не из одного большого рывка. Для "
            "аудитории ({audience}) это значит: сначала сформулировать цель, затем выбрать "
            "наименьший полезный кусок работы и проверить его, прежде чем двигаться дальше.",
            [
                "Назовите цель до начала работы",
                "Разбейте работу на проверяемые шаги",
                "Проверяйте каждый шаг перед следующим",
            ],
            "Небольшие проверенные шаги надёжнее одного большого рывка",
        ),
        (
            "Как это работает шаг за шагом",
            "Большинство задач по теме «{topic}» проходят один и тот же цикл: подготовка, "
            "выполнение, проверка и передача результата. Подготовка — это сбор исходных данных и "
            "договорённость о том, что считать готовым результатом. Выполнение — сосредоточенная "
            "работа. Проверка сравнивает результат с целью, а передача делает его полезным для "
            "других.",
            [
                "Подготовка: исходные данные и критерии готовности",
                "Выполнение: работа короткими отрезками",
                "Проверка и передача: сравнить с целью и отдать дальше",
            ],
            "Подготовка, выполнение, проверка, передача — цикл для каждой задачи",
        ),
        (
            "Где это применяется",
            "Идеи этого урока встречаются везде, где тема «{topic}» касается повседневной работы: "
            "на планёрках, в рутинных задачах и на разборах итогов. Понимание того, где они "
            "применимы, помогает вовремя их использовать, а не считать их просто теорией.",
            [
                "Планирование и оценка работ",
                "Рутинные задачи, повторяющиеся каждую неделю",
                "Разборы и ретроспективы",
            ],
            "Узнавайте ситуации, в которых приём приносит пользу",
        ),
        (
            "Типичные ошибки",
            "Самые частые ошибки предсказуемы: пропущенная подготовка, попытка сделать всё сразу "
            "и отсутствие проверки результата. Каждая из них экономит несколько минут сегодня и "
            "отнимает часы завтра. Если назвать эти ошибки вслух, их гораздо проще заметить "
            "вовремя.",
            ["Начинать без ясной цели", "Менять слишком много за один раз", "Пропускать финальную проверку"],
            "Большинство проблем возникает из-за пропущенной подготовки или проверки",
        ),
        (
            "Хорошие практики",
            "Хорошая практика в теме «{topic}» — это прежде всего привычки. Записывайте, что вы "
            "пробовали, выбирайте простые решения, понятные коллегам, и просите обратную связь, "
            "пока изменения ещё дёшевы. Эти привычки важнее любого отдельного инструмента.",
            [
                "Коротко фиксируйте принятые решения",
                "Выбирайте самое простое работающее решение",
                "Просите обратную связь как можно раньше",
            ],
            "Привычки важнее инструментов",
        ),
        (
            "Полезные инструменты",
            "Инструменты не заменяют понимания, но правильные инструменты убирают лишние "
            "трудности. Чек-лист, общий шаблон и место для хранения удачных примеров закрывают "
            "большинство потребностей. Более сложные инструменты стоит добавлять, только когда "
            "ясно, какую проблему они решают.",
            [
                "Чек-лист для повторяющихся задач",
                "Общий шаблон для результатов",
                "Библиотека удачных примеров",
            ],
            "Добавляйте инструмент, только когда можете назвать решаемую им проблему",
        ),
        (
            "Как проверить результат",
            "Прежде чем считать задачу выполненной, сравните результат с целью, названной в "
            "начале. Задайте себе три вопроса: решает ли он нужную задачу, поймёт ли его коллега "
            "и сможете ли вы повторить его на следующей неделе? Если хотя бы на один вопрос ответ "
            "«нет», вы точно знаете, что исправить.",
            [
                "Соответствует ли результат цели?",
                "Поймёт ли его коллега?",
                "Получится ли повторить его через неделю?",
            ],
            "Сверяйте каждый результат с целью, поставленной в начале",
        ),
        (
            "Компромиссы и ограничения",
            "Любой выбор в теме «{topic}» — это компромисс: скорость против тщательности, гибкость "
            "против простоты. Идеального варианта почти никогда нет. Назовите компромисс явно, "
            "запишите, почему выбрали именно его, и вернитесь к решению, когда изменятся "
            "обстоятельства.",
            [
                "Скорость или тщательность",
                "Гибкость или простота",
                "Пересматривайте решения при изменении условий",
            ],
            "Делайте компромиссы явными и записывайте причины выбора",
        ),
        (
            "Работа в команде",
            "Результаты по теме «{topic}» редко принадлежат одному человеку. Показывайте черновики "
            "пораньше, договоритесь об общих терминах и сделайте так, чтобы вашу работу было легко "
            "проверить. Время на объяснения окупается, когда команда может опираться на сделанное "
            "вами.",
            [
                "Показывайте черновики пораньше",
                "Договоритесь об общих терминах",
                "Упростите проверку своей работы",
            ],
            "Делитесь работой рано, чтобы другие могли на неё опереться",
        ),
        (
            "Быстрая самопроверка",
            "Потратьте две минуты на самопроверку. Не заглядывая в записи, объясните главную идею "
            "урока «{lesson}» в трёх предложениях, назовите одну ошибку, которой стоит избегать, и "
            "опишите ситуацию из своей работы, где вы примените новые знания.",
            [
                "Объясните главную идею в трёх предложениях",
                "Назовите одну ошибку, которой стоит избегать",
                "Выберите ситуацию, где вы это примените",
            ],
            "Если можете объяснить идею своими словами, значит, вы её усвоили",
        ),
    ],
}

# Worked examples: a scenario and its numbered steps.
EXAMPLES: dict[str, list[tuple[str, list[str]]]] = {
    "en": [
        (
            "A team lead wants to introduce {topic} in a small team without disrupting ongoing "
            "work. Instead of changing everything at once, they pick one recurring task and apply "
            "the ideas of “{lesson}” to it for two weeks.",
            [
                "Write down the goal and how success will be measured",
                "Apply the approach to one recurring task",
                "Review the results with the team after two weeks",
                "Decide what to keep, change or drop",
            ],
        ),
        (
            "Imagine a newcomer who has to prepare a first piece of work related to {topic} by "
            "Friday. They use the approach from this lesson to plan the week.",
            [
                "Monday: clarify the goal and collect inputs",
                "Tuesday and Wednesday: do the work in short, checked steps",
                "Thursday: ask a colleague for a review",
                "Friday: fix the remarks and hand the work over",
            ],
        ),
        (
            "A specialist notices that the same problem with {topic} keeps coming back every "
            "month. They use the ideas of this lesson to find the cause and prevent it.",
            [
                "Collect three recent cases of the problem",
                "Compare them and find the common step",
                "Change that step and add a check",
                "Watch the results of the next month",
            ],
        ),
    ],
    "ru": [
        (
            "Руководитель небольшой команды хочет внедрить тему «{topic}» в работу, не нарушая "
            "текущих процессов. Вместо того чтобы менять всё сразу, он выбирает одну "
            "повторяющуюся задачу и две недели применяет к ней идеи урока «{lesson}».",
            [
                "Записать цель и способ измерить успех",
                "Применить подход к одной повторяющейся задаче",
                "Через две недели обсудить результаты с командой",
                "Решить, что оставить, изменить или отменить",
            ],
        ),
        (
            "Представьте новичка, которому к пятнице нужно подготовить первую работу по теме "
            "«{topic}». Он планирует неделю с помощью подхода из этого урока.",
            [
                "Понедельник: уточнить цель и собрать исходные данные",
                "Вторник и среда: работать короткими проверяемыми шагами",
                "Четверг: попросить коллегу проверить работу",
                "Пятница: исправить замечания и передать результат",
            ],
        ),
        (
            "Специалист замечает, что одна и та же проблема, связанная с темой «{topic}», "
            "повторяется каждый месяц. С помощью идей урока он находит причину и предотвращает её.",
            [
                "Собрать три недавних случая проблемы",
                "Сравнить их и найти общий шаг",
                "Изменить этот шаг и добавить проверку",
                "Понаблюдать за результатами следующего месяца",
            ],
        ),
    ],
}

EXERCISES: dict[str, list[tuple[str, str]]] = {
    "en": [
        (
            "Apply it to your work",
            "Choose one task from your current work related to {topic}. Apply the approach from "
            "“{lesson}” to it and write down what changed in three to five sentences.",
        ),
        (
            "Spot the mistakes",
            "Take a recent piece of your work or a colleague's (with permission) and find at least "
            "two of the typical mistakes discussed in this lesson. Suggest a fix for each.",
        ),
        (
            "Make a checklist",
            "Write a checklist of five to seven items for the next task like the one in "
            "“{lesson}”. Share it with a colleague and improve it based on their comments.",
        ),
        (
            "Explain it to a colleague",
            "Prepare a two-minute explanation of the main idea of this lesson for a colleague who "
            "has not taken the course. Note the questions they ask.",
        ),
        (
            "Plan a small experiment",
            "Plan a one-week experiment in which you apply one idea from this lesson. Define what "
            "you will measure and how you will know it worked.",
        ),
    ],
    "ru": [
        (
            "Примените на своей задаче",
            "Выберите одну задачу из текущей работы, связанную с темой «{topic}». Примените к ней "
            "подход из урока «{lesson}» и опишите в трёх–пяти предложениях, что изменилось.",
        ),
        (
            "Найдите ошибки",
            "Возьмите недавнюю работу — свою или коллеги (с его согласия) — и найдите в ней хотя "
            "бы две типичные ошибки из этого урока. Предложите исправление для каждой.",
        ),
        (
            "Составьте чек-лист",
            "Составьте чек-лист из пяти–семи пунктов для следующей задачи, похожей на разобранную "
            "в уроке «{lesson}». Покажите его коллеге и доработайте по его замечаниям.",
        ),
        (
            "Объясните коллеге",
            "Подготовьте двухминутное объяснение главной идеи урока для коллеги, который не "
            "проходил курс. Запишите вопросы, которые он задаст.",
        ),
        (
            "Спланируйте эксперимент",
            "Спланируйте недельный эксперимент, в котором вы примените одну идею из этого урока. "
            "Определите, что будете измерять и как поймёте, что он удался.",
        ),
    ],
}

# Quiz: question, correct option, three distractors, explanation. {objective} is the
# lesson's first objective.
QUIZ: dict[str, list[tuple[str, str, list[str], str]]] = {
    "en": [
        (
            "What is the main goal of the lesson “{lesson}”?",
            "{objective}",
            [
                "To memorise definitions without practising them",
                "To replace all existing tools at once",
                "To avoid asking colleagues for feedback",
            ],
            "The lesson objectives say what you should be able to do afterwards.",
        ),
        (
            "Which approach works best when you start applying {topic}?",
            "Small, checked steps on a real task",
            [
                "Waiting until you know all the theory",
                "Changing everything at once",
                "Copying solutions without checking them",
            ],
            "Small steps make mistakes cheap and visible.",
        ),
        (
            "What should you do first when a result looks wrong?",
            "Compare it with the goal and check each step",
            ["Start again from scratch", "Ignore it if the deadline is close", "Ask someone else to redo it"],
            "Checking against the goal shows where the problem started.",
        ),
        (
            "Which of these is a typical mistake?",
            "Skipping the final check of the result",
            [
                "Writing down the decisions you made",
                "Asking for feedback early",
                "Starting with a small task",
            ],
            "Skipping the check saves minutes now and costs hours later.",
        ),
        (
            "When is it worth adding a new tool?",
            "When you can name the problem it solves",
            [
                "Whenever a new tool appears",
                "Only when a manager requires it",
                "Never: tools always get in the way",
            ],
            "A tool should remove a specific difficulty.",
        ),
        (
            "How can you tell you have learned the idea of this lesson?",
            "You can explain it in your own words and apply it",
            ["You have read the text twice", "You remember every heading", "You have seen the slides"],
            "Explaining and applying show real understanding.",
        ),
    ],
    "ru": [
        (
            "Какова главная цель урока «{lesson}»?",
            "{objective}",
            [
                "Заучить определения без практики",
                "Заменить все инструменты сразу",
                "Не обращаться к коллегам за обратной связью",
            ],
            "Цели урока описывают, что вы сможете делать после него.",
        ),
        (
            "Какой подход лучше всего работает в начале освоения темы «{topic}»?",
            "Небольшие проверяемые шаги на реальной задаче",
            ["Сначала выучить всю теорию", "Изменить всё сразу", "Копировать решения без проверки"],
            "Маленькие шаги делают ошибки дешёвыми и заметными.",
        ),
        (
            "Что сделать в первую очередь, если результат выглядит неправильно?",
            "Сравнить его с целью и проверить каждый шаг",
            [
                "Начать всё заново",
                "Не обращать внимания, если горят сроки",
                "Попросить кого-то переделать работу",
            ],
            "Сверка с целью показывает, где возникла проблема.",
        ),
        (
            "Что из перечисленного — типичная ошибка?",
            "Пропуск финальной проверки результата",
            ["Запись принятых решений", "Ранний запрос обратной связи", "Начало работы с небольшой задачи"],
            "Пропущенная проверка экономит минуты сейчас и отнимает часы потом.",
        ),
        (
            "Когда стоит добавлять новый инструмент?",
            "Когда вы можете назвать проблему, которую он решает",
            [
                "Как только появляется новый инструмент",
                "Только по требованию руководителя",
                "Никогда: инструменты всегда мешают",
            ],
            "Инструмент должен устранять конкретную трудность.",
        ),
        (
            "Как понять, что вы усвоили идею урока?",
            "Вы можете объяснить её своими словами и применить",
            ["Вы дважды прочитали текст", "Вы помните все заголовки", "Вы просмотрели слайды"],
            "Объяснение и применение показывают настоящее понимание.",
        ),
    ],
}

# Short phrases and sentence templates.
PHRASES: dict[str, dict[str, Any]] = {
    "en": {
        "course_titles": {
            "beginner": [
                "{Topic}: a practical introduction",
                "{Topic} from the ground up",
                "First steps in {topic}",
            ],
            "intermediate": [
                "{Topic} in practice",
                "Getting better at {topic}",
                "{Topic}: a practical course",
            ],
            "advanced": ["Advanced {topic}", "Mastering {topic}", "{Topic}: expert practice"],
        },
        "levels": {"beginner": "beginner", "intermediate": "intermediate", "advanced": "advanced"},
        "course_summary": "A {level} course on {topic} for {audience}: {modules} modules and "
        "{lessons} lessons, {minutes} minutes of study in total. Each module moves from ideas "
        "to practice, with exercises and quizzes to check progress.",
        "course_summary_short": "A {level} course on {topic} for {audience}.",
        "module_summary": "This module covers: {subjects}.",
        "module_objectives": [
            "Describe the main ideas of the module “{module}”",
            "Apply the module's ideas in practical tasks",
            "Connect the module to your own work with {topic}",
        ],
        "lesson_objectives": [
            "Explain {subject} in your own words",
            "Apply {subject} to a task from your own work",
            "Recognise typical mistakes in {subject}",
        ],
        "part": "part {n}",
        "intro_neutral": "This lesson belongs to the module “{module}” of the course “{course}”. "
        "It takes about {minutes} minutes and covers “{lesson}”.",
        "intro_friendly": "Welcome! In the next {minutes} minutes we will look at “{lesson}” "
        "together. It is part of the module “{module}” of the course “{course}”.",
        "learn": "What you will learn",
        "example": "Example",
        "more_examples": "More examples",
        "summary": "Summary",
        "summary_text": "You now know the key ideas of “{lesson}”. Try them on a real task this "
        "week and note what worked and what you would change.",
        "revision": "Revision note",
        "revision_text": "This version was revised at the author's request: {instruction}.",
        "examples_note": " Worked examples are included.",
        "takeaways": "Key takeaways",
        "questions": "Questions and discussion",
        "questions_bullets": ["What will you try first?", "What could get in the way?", "Who can help you?"],
        "questions_notes": "Invite questions. Ask each participant to name one idea from "
        "“{lesson}” they will try this week.",
        "point_notes": "Explain this point in your own words: {point}. Give one example from "
        "your own experience and ask the audience for theirs.",
        "intro_notes": "Open with the goal of the lesson “{lesson}” and why it matters for "
        "the audience. Keep it to one minute.",
        "overview": "Overview",
        "default_topic": "the subject",
        "default_audience": "the learners",
        "generic_text": "Sample text",
    },
    "ru": {
        "course_titles": {
            "beginner": ["{Topic}: практическое введение", "{Topic} с нуля", "Первые шаги: {topic}"],
            "intermediate": [
                "{Topic} на практике",
                "{Topic}: следующий уровень",
                "{Topic}: практический курс",
            ],
            "advanced": ["{Topic}: продвинутый курс", "{Topic}: мастерство", "{Topic}: экспертная практика"],
        },
        "levels": {"beginner": "начальный", "intermediate": "средний", "advanced": "продвинутый"},
        "course_summary": "Курс по теме «{topic}» (уровень: {level}) для аудитории: {audience}. "
        "Модулей: {modules}, уроков: {lessons}, общая продолжительность — {minutes} мин. "
        "Каждый модуль ведёт от идей к практике, а упражнения и тесты помогают проверить себя.",
        "course_summary_short": "Курс по теме «{topic}» для аудитории: {audience}.",
        "module_summary": "В модуле: {subjects}.",
        "module_objectives": [
            "Описать главные идеи модуля «{module}»",
            "Применить идеи модуля в практических заданиях",
            "Связать материал модуля со своей работой по теме «{topic}»",
        ],
        "lesson_objectives": [
            "Объяснить своими словами тему «{subject}»",
            "Применить тему «{subject}» в рабочей задаче",
            "Распознавать типичные ошибки в теме «{subject}»",
        ],
        "part": "часть {n}",
        "intro_neutral": "Этот урок входит в модуль «{module}» курса «{course}». Он рассчитан "
        "примерно на {minutes} мин. и посвящён теме «{lesson}».",
        "intro_friendly": "Добро пожаловать! В ближайшие {minutes} мин. мы вместе разберём тему "
        "«{lesson}» из модуля «{module}» курса «{course}».",
        "learn": "Чему вы научитесь",
        "example": "Пример",
        "more_examples": "Дополнительные примеры",
        "summary": "Итоги",
        "summary_text": "Теперь вы знаете ключевые идеи урока «{lesson}». Попробуйте применить "
        "их к реальной задаче на этой неделе и отметьте, что сработало, а что стоит изменить.",
        "revision": "Примечание к редакции",
        "revision_text": "Эта версия переработана по просьбе автора: {instruction}.",
        "examples_note": " С разбором примеров.",
        "takeaways": "Главное",
        "questions": "Вопросы и обсуждение",
        "questions_bullets": ["Что вы попробуете первым?", "Что может помешать?", "Кто может вам помочь?"],
        "questions_notes": "Предложите задать вопросы. Попросите каждого участника назвать одну "
        "идею из урока «{lesson}», которую он попробует на этой неделе.",
        "point_notes": "Объясните этот пункт своими словами: {point}. Приведите пример из "
        "собственного опыта и спросите слушателей об их опыте.",
        "intro_notes": "Начните с цели урока «{lesson}» и объясните, почему она важна для "
        "слушателей. Уложитесь в одну минуту.",
        "overview": "Обзор",
        "default_topic": "предмет курса",
        "default_audience": "слушатели",
        "generic_text": "Пример текста",
    },
}
