"""UI strings in English and Russian through gettext catalogs (Babel).

The catalogs are `locales/<lang>/LC_MESSAGES/messages.po`; message ids are stable keys
(`t("nav_courses")`), the English catalog holds the English text. They are compiled to .mo
in memory when first used, so a fresh checkout needs no build step. `tn()` picks a plural
form by the language's rules ("1 модуль", "3 модуля", "5 модулей"). New keys: add `t("key")`
in code, then `bash scripts/i18n.sh` (pybabel extract + update) and fill both catalogs;
tests/unit/test_i18n.py fails on any key without a Russian translation.
Course content language is a course parameter; this is only the interface."""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

import streamlit as st
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parents[1] / "locales"
LANGUAGES = ("en", "ru")

# Keys other branches add the old way, as (English, Russian): served when a catalog lacks
# them, and counted by the catalog test. Move them into locales/*.po when merging.
_STRINGS: dict[str, tuple[str, str]] = {
    # Keys of issues 8, 9, 10, 14, 15, 16 and 19, merged with issue-12's catalogs: served
    # from here until they are moved into locales/*/messages.po.
    "cf_period": ("Period", "Период"),
    "cf_preset_today": ("Today", "Сегодня"),
    "cf_preset_7d": ("Last 7 days", "Последние 7 дней"),
    "cf_preset_30d": ("Last 30 days", "Последние 30 дней"),
    "cf_preset_month": ("This month", "Этот месяц"),
    "cf_preset_all": ("All time", "За всё время"),
    "cf_preset_custom": ("Custom range", "Свой период"),
    "cf_from": ("From", "С"),
    "cf_range": ("{start} to {end}, UTC", "с {start} по {end}, UTC"),
    "cf_to": ("To", "По"),
    "cf_group": ("Group by", "Группировать по"),
    "cf_then": ("Then by", "Затем по"),
    "cf_none": ("(nothing)", "(ничего)"),
    "cf_more": ("Filters", "Фильтры"),
    "cf_course": ("Courses", "Курсы"),
    "cf_model": ("Models", "Модели"),
    "cf_prompt_version": ("Prompt versions", "Версии промптов"),
    "cf_step": ("Steps", "Шаги"),
    "cf_job_kind": ("Job kinds", "Виды задач"),
    "cf_user": ("People", "Люди"),
    "cf_outcome": ("Outcomes", "Исходы"),
    "cf_provider": ("Providers", "Провайдеры"),
    "cf_dim_day": ("Day", "День"),
    "cf_dim_week": ("Week", "Неделя"),
    "cf_dim_month": ("Month", "Месяц"),
    "cf_dim_course": ("Course", "Курс"),
    "cf_dim_model": ("Model", "Модель"),
    "cf_dim_prompt_version": ("Prompt version", "Версия промпта"),
    "cf_dim_step": ("Step", "Шаг"),
    "cf_dim_job_kind": ("Job kind", "Вид задачи"),
    "cf_dim_user": ("Person", "Человек"),
    "cf_dim_outcome": ("Outcome", "Исход"),
    "cf_bad_link": (
        "This link's filters were not understood ({problems}); showing all calls.",
        "Фильтры из ссылки не распознаны ({problems}); показаны все вызовы.",
    ),
    "cf_no_calls": ("No model calls in this view.", "В этом срезе нет вызовов модели."),
    "cf_cache": ("Cache hits", "Попадания в кэш"),
    "cf_saved": ("saved", "сэкономлено"),
    "cf_waste": ("Waste", "Потери"),
    "cf_waste_share": ("Waste share", "Доля потерь"),
    "cf_remediated": ("Remediated", "Исправлено повтором"),
    "cf_csv": ("Download CSV", "Скачать CSV"),
    "cf_parquet": ("Download Parquet", "Скачать Parquet"),
    "cf_units": ("Unit costs", "Удельные затраты"),
    "cf_budgets": ("Budgets", "Бюджеты"),
    "cf_top": ("Most expensive jobs", "Самые дорогие задачи"),
    "cf_reprice": ("At today's prices", "По сегодняшним ценам"),
    "cf_reprice_help": (
        "What the same tokens would cost at today's prices. Recorded costs never change.",
        "Сколько стоили бы те же токены по сегодняшним ценам. Записанные затраты не меняются.",
    ),
    "cf_recorded": ("Recorded", "Записано"),
    "cf_today": ("At today's prices", "По сегодняшним ценам"),
    "cf_change": ("Difference", "Разница"),
    "cf_not_measured": ("not measured", "не измерено"),
    "cf_per_course": ("Per finished course", "На готовый курс"),
    "cf_per_lesson": ("Per lesson written", "На написанный урок"),
    "cf_per_deck": ("Per slide deck", "На набор слайдов"),
    "cf_per_minute": ("Per minute of course time", "На минуту курса"),
    "cf_unit": ("Unit", "Единица"),
    "cf_count": ("How many", "Сколько"),
    "cf_waste_by_outcome": (
        "Waste by outcome: money spent on answers that failed, were refused or had to be remediated.",
        "Потери по исходам: деньги за ответы с ошибкой, отказом или потребовавшие исправления.",
    ),
    "cf_no_budgets": ("No budgeted jobs in this view.", "В этом срезе нет задач с бюджетом."),
    "cf_job": ("Job", "Задача"),
    "cf_quality": ("Quality per dollar", "Качество за доллар"),
    "cf_quality_help": (
        "Cost per call of each prompt version next to its latest evaluation scores.",
        "Стоимость вызова каждой версии промпта рядом с её последними оценками.",
    ),
    "cf_per_call": ("Per call", "За вызов"),
    "cf_tokens_per_call": ("Tokens per call", "Токенов за вызов"),
    "cf_score_schema_validity": ("Schema validity", "Соответствие схеме"),
    "cf_score_field_completeness": ("Field completeness", "Полнота полей"),
    "cf_score_constraint_adherence": ("Constraint adherence", "Соблюдение ограничений"),
    "cf_eval_provider": ("Evaluated with", "Оценено на"),
    "cf_status": ("Status", "Статус"),
    "cf_budget": ("Budget", "Бюджет"),
    "cf_budget_used": ("Budget used", "Израсходовано бюджета"),
    "col_repairs": ("Repaired", "Исправлено"),
    "costs_unknown": (
        "{n} call(s) have an unknown cost (their process stopped before the answer was recorded); counted at their estimated worst case, ${usd:.4f}.",
        "У {n} вызов(ов) неизвестна стоимость (процесс остановился до записи ответа); они учтены по оценке худшего случая: ${usd:.4f}.",
    ),
    "costs_unknown_status": ("unknown", "неизвестно"),
    "col_estimated": ("Estimated cost", "Оценка стоимости"),
    "col_started": ("Started", "Начат"),
    "prices_in_effect": ("Prices in effect (USD per 1M tokens)", "Действующие цены (USD за 1 млн токенов)"),
    "col_model_name": ("Model", "Модель"),
    "col_price_input": ("Input", "Ввод"),
    "col_price_cached": ("Cached input", "Кэшированный ввод"),
    "col_price_output": ("Output", "Вывод"),
    "col_price_since": ("Since", "С даты"),
    "status_partial": ("partial", "частично"),
    "job_counts": (
        "Written: {written} · drafts: {drafts} · skipped: {skipped} · failed: {failed}",
        "Написано: {written} · черновиков: {drafts} · пропущено: {skipped} · ошибок: {failed}",
    ),
    "nav_users": ("Users", "Пользователи"),
    "section_admin": ("Administration", "Администрирование"),
    "local_banner": (
        'Local mode: no sign-in is configured, so this app is for one person on this machine (user "{user}", admin). Configure [auth] in .streamlit/secrets.toml before sharing it.',
        "Локальный режим: вход не настроен, приложение рассчитано на одного человека на этой машине (пользователь «{user}», администратор). Перед тем как открывать доступ, настройте [auth] в .streamlit/secrets.toml.",
    ),
    "signin_title": ("Course Studio: sign in", "Course Studio: вход"),
    "signin_text": (
        "Sign in with your company account to continue.",
        "Войдите с рабочей учётной записью, чтобы продолжить.",
    ),
    "signin_button": ("Sign in", "Войти"),
    "signout_button": ("Sign out", "Выйти"),
    "signed_in_as": ("Signed in as {email} ({role})", "Вы вошли как {email} ({role})"),
    "not_allowed": ("Access refused: {msg}", "Доступ запрещён: {msg}"),
    "role_author": ("author", "автор"),
    "role_reviewer": ("reviewer", "рецензент"),
    "role_prompt_engineer": ("prompt engineer", "промпт-инженер"),
    "role_analyst": ("analyst", "аналитик"),
    "role_admin": ("admin", "администратор"),
    "pg_move_forbidden": (
        "Only prompt engineers and admins move labels and save prompt versions (you are {role}).",
        "Перемещать метки и сохранять версии промптов могут только промпт-инженеры и администраторы (ваша роль: {role}).",
    ),
    "users_list": ("People", "Люди"),
    "users_add": ("Add a person", "Добавить человека"),
    "users_email": ("E-mail", "E-mail"),
    "users_name": ("Name", "Имя"),
    "users_role": ("Role", "Роль"),
    "users_active": ("Active", "Активен"),
    "users_created": ("Added", "Добавлен"),
    "users_add_btn": ("Add", "Добавить"),
    "users_added": ("Added {email}.", "Добавлен {email}."),
    "users_edit": ("Change a person", "Изменить"),
    "users_pick": ("Person", "Человек"),
    "users_save": ("Save", "Сохранить"),
    "users_saved": ("Saved {email}.", "Сохранено: {email}."),
    "users_daily_cap": (
        "Daily cap, USD (empty: the team setting)",
        "Лимит в день, USD (пусто — общая настройка)",
    ),
    "users_monthly_cap": (
        "Monthly cap, USD (empty: the team setting)",
        "Лимит в месяц, USD (пусто — общая настройка)",
    ),
    "users_bad_cap": (
        "{field}: enter a number of US dollars or leave it empty",
        "{field}: введите сумму в долларах или оставьте пустым",
    ),
    "spend_title": ("Spending today and this month (UTC)", "Расходы сегодня и за месяц (UTC)"),
    "spend_scope": ("Who", "Кто"),
    "spend_period": ("Period", "Период"),
    "spend_spent": ("Spent", "Потрачено"),
    "spend_cap": ("Cap", "Лимит"),
    "spend_team": ("team", "команда"),
    "spend_day": ("day", "день"),
    "spend_month": ("month", "месяц"),
    "spend_no_cap": ("no cap", "без лимита"),
    "costs_download": ("Download this table (CSV)", "Скачать таблицу (CSV)"),
    "by_user": ("By user", "По пользователям"),
    "prod_needs_auth": (
        "Sign-in is not configured: with APP_ENV=prod the app serves nobody until .streamlit/secrets.toml has an [auth] section (see the README).",
        "Вход не настроен: при APP_ENV=prod приложение никого не обслуживает, пока в .streamlit/secrets.toml нет раздела [auth] (см. README).",
    ),
    "pg_refused": (
        "Not allowed in a prompt (it could reach the server): {why}. Runs and saves of this draft are refused.",
        "Недопустимо в промпте (даёт доступ к серверу): {why}. Запуск и сохранение этого черновика отклоняются.",
    ),
    "rstatus_quarantined": ("blocked (quarantined)", "заблокировано (карантин)"),
    "col_findings": ("Findings", "Находки проверки"),
    "content_flagged": (
        "Saved, and marked by the content check: {items}",
        "Сохранено и отмечено проверкой содержимого: {items}",
    ),
    "nav_video": ("Video", "Видео"),
    "kind_video": ("Lesson video", "Видео урока"),
    "video_mock_banner": (
        "HeyGen is mocked: presenter videos come from a local fake service (a test pattern, not an avatar). Set HEYGEN_API_KEY to render real videos.",
        "HeyGen в режиме имитации: видео с ведущим даёт локальный поддельный сервис (тестовая картинка, а не аватар). Задайте HEYGEN_API_KEY, чтобы создавать настоящие видео.",
    ),
    "video_need_slides": (
        "Make the slides first: the video script is drafted from them.",
        "Сначала сделайте слайды: сценарий видео составляется по ним.",
    ),
    "video_engine": ("Engine", "Движок"),
    "video_engine_local": ("Narrated slides (local, free)", "Слайды с озвучкой (локально, бесплатно)"),
    "video_engine_heygen": ("HeyGen presenter (paid)", "Ведущий HeyGen (платно)"),
    "video_voice": ("Voice", "Голос"),
    "video_avatar": ("Avatar", "Аватар"),
    "video_lists_failed": (
        "HeyGen lists could not be loaded: {err}",
        "Не удалось загрузить списки HeyGen: {err}",
    ),
    "video_no_voices": ("No voice is installed for this language.", "Для этого языка не установлен голос."),
    "video_script": ("Video script", "Сценарий видео"),
    "video_script_hint": (
        "One scene per slide: a '## Slide title' line, then what is said.",
        "Одна сцена на слайд: строка «## Заголовок слайда», затем текст диктора.",
    ),
    "video_estimate": (
        "About {duration} (m:ss) of video in {scenes} scene(s); cost: {cost}",
        "Около {duration} (мин:с) видео, сцен: {scenes}; стоимость: {cost}",
    ),
    "video_free": ("free", "бесплатно"),
    "video_quota": ("HeyGen credits left: {left}", "Осталось кредитов HeyGen: {left}"),
    "video_cost": ("{credits} credits, about ${usd}", "{credits} кредитов, около ${usd}"),
    "video_make_lesson": ("Make this lesson's video", "Сделать видео урока"),
    "video_make_course": ("Make videos for all {n} lessons", "Сделать видео для всех уроков ({n})"),
    "video_regenerate": ("Regenerate", "Пересоздать"),
    "video_none": ("No video for this lesson yet.", "Для этого урока видео ещё нет."),
    "video_download": ("Download MP4", "Скачать MP4"),
    "video_download_vtt": ("Download captions (WebVTT)", "Скачать субтитры (WebVTT)"),
    "video_made": (
        "{engine} video, {seconds} s, made {when}",
        "Видео ({engine}), {seconds} с, создано {when}",
    ),
    "vstatus_none": ("no video", "нет видео"),
    "vstatus_ready": ("video ready", "видео готово"),
    "video_script_invalid": ("The script is not valid yet: {err}", "Сценарий пока не годится: {err}"),
    "a11y_title": ("Accessibility", "Доступность"),
    "a11y_summary": (
        "{passed} checks passed · {author} need you · {fixed} fixed by the export",
        "Проверок пройдено: {passed} · требуют вас: {author} · исправлено при экспорте: {fixed}",
    ),
    "a11y_all_good": (
        "Passed: nothing needs you. The HTML, SCORM and PPTX exports meet WCAG 2.1 AA for this course.",
        "Пройдено: от вас ничего не требуется. Экспорт HTML, SCORM и PPTX соответствует WCAG 2.1 AA.",
    ),
    "a11y_needs_author": ("Needs you ({n})", "Требует вас ({n})"),
    "a11y_fixed": ("Fixed by the export ({n})", "Исправлено при экспорте ({n})"),
    "a11y_passed": ("Passed ({n})", "Пройдено ({n})"),
    "a11y_open": ("Open {kind}: {title}", "Открыть {kind}: {title}"),
    "a11y_kind_course": ("course", "курс"),
    "a11y_kind_module": ("module", "модуль"),
    "a11y_kind_lesson": ("lesson", "урок"),
    "a11y_kind_slides": ("slides", "слайды"),
    "a11y_template_note": (
        "The uploaded PPTX template is checked too.",
        "Загруженный шаблон PPTX тоже проверен.",
    ),
    "a11y_template_bad": (
        "The PPTX template could not be checked: {err}",
        "Шаблон PPTX не удалось проверить: {err}",
    ),
    "a11y_check_image_alt": ("Images have alt text", "У изображений есть альтернативный текст"),
    "a11y_check_link_text": ("Links say where they go", "Ссылки говорят, куда ведут"),
    "a11y_check_headings": ("Headings are in order", "Заголовки идут по порядку"),
    "a11y_check_language": ("Passages in another language are marked", "Фрагменты на другом языке размечены"),
    "a11y_check_slide_titles": ("Every slide has its own title", "У каждого слайда свой заголовок"),
    "a11y_check_slide_notes": ("Every slide has speaker notes", "У каждого слайда есть заметки"),
    "a11y_check_quiz": ("Quiz questions are complete", "Вопросы теста полные"),
    "a11y_check_template_contrast": (
        "Template colours have enough contrast",
        "Цвета шаблона достаточно контрастны",
    ),
    "a11y_f_image_alt": (
        "Image {src} in the {where} has no alt text: describe it in the Markdown as ![description]({src}).",
        "У изображения {src} ({where}) нет альтернативного текста: опишите его в Markdown как ![описание]({src}).",
    ),
    "a11y_f_link_text": (
        "The link “{text}” ({href}) does not say where it goes: name the destination.",
        "Ссылка «{text}» ({href}) не говорит, куда ведёт: назовите цель.",
    ),
    "a11y_f_headings": (
        "Headings in the {where} were moved under the page title.",
        "Заголовки ({where}) перенесены под заголовок страницы.",
    ),
    "a11y_f_language": (
        "Passages in {languages} are marked with their language.",
        "Фрагменты на языке {languages} размечены своим языком.",
    ),
    "a11y_f_slide_titles": (
        "Slide {slide} has no title: give it one.",
        "У слайда {slide} нет заголовка: добавьте его.",
    ),
    "a11y_f_slide_titles_dup": (
        "Repeated slide titles ({titles}) are numbered like (2/3) in the deck.",
        "Повторяющиеся заголовки слайдов ({titles}) пронумерованы в презентации, например (2/3).",
    ),
    "a11y_where_body": ("lesson text", "текст урока"),
    "a11y_diff_label": ("Differences {name}", "Различия {name}"),
    "a11y_where_summary": ("summary", "описание"),
    "a11y_where_exercise": ("exercise", "упражнение"),
    "a11y_where_quiz": ("quiz explanation", "пояснение к тесту"),
    "a11y_f_slide_notes": (
        "Slide {slide} “{title}” has no speaker notes: the export uses its bullets instead.",
        "У слайда {slide} «{title}» нет заметок: при экспорте вместо них взяты пункты слайда.",
    ),
    "a11y_f_quiz": (
        "Question {question} needs a question, two or more options and a valid answer.",
        "Вопросу {question} нужны текст, два или больше вариантов и верный ответ.",
    ),
    "a11y_f_template_contrast": (
        "PPTX template: {pair} {text} on {background} has contrast {ratio}:1; WCAG AA needs 4.5:1.",
        "Шаблон PPTX: {pair} {text} на {background} — контраст {ratio}:1; WCAG AA требует 4.5:1.",
    ),
    # merge of issue-12 with issues 8, 9, 10, 14: what each of their error codes means and what to do
    "error_E.BUDGET.NO_PRICE": (
        "The model has no price on record, so its cost cannot be counted.",
        "У модели нет цены в настройках, поэтому её стоимость нельзя посчитать.",
    ),
    "action_E.BUDGET.NO_PRICE": (
        "Check the model name or add its price in the settings, then press Retry.",
        "Проверьте имя модели или добавьте её цену в настройки, затем нажмите «Повторить».",
    ),
    "error_E.DB.UNAVAILABLE": ("The database did not answer.", "База данных не ответила."),
    "action_E.DB.UNAVAILABLE": (
        "Wait a minute and try again; if it persists, tell an administrator.",
        "Подождите минуту и попробуйте снова; если не помогло, сообщите администратору.",
    ),
    "error_E.JOB.INTERRUPTED": (
        "The job was interrupted (its worker stopped); finished parts are kept.",
        "Задача прервана (её обработчик остановился); готовые части сохранены.",
    ),
    "action_E.JOB.INTERRUPTED": (
        "Press Retry to finish the rest.",
        "Нажмите «Повторить», чтобы доделать остальное.",
    ),
    "error_E.AUTH.FORBIDDEN": (
        "Your role does not allow this action.",
        "Ваша роль не разрешает это действие.",
    ),
    "action_E.AUTH.FORBIDDEN": (
        "Ask an administrator for a role that may do it.",
        "Попросите администратора выдать вам подходящую роль.",
    ),
    "error_E.AUTH.NOT_ALLOWED": (
        "This account may not use Course Studio.",
        "Этой учётной записи вход в Course Studio не разрешён.",
    ),
    "action_E.AUTH.NOT_ALLOWED": (
        "Sign in with your work account or ask an administrator to add you.",
        "Войдите с рабочей учётной записью или попросите администратора добавить вас.",
    ),
    "error_E.BUDGET.CAP": (
        "Your spending cap for this period is reached.",
        "Достигнут ваш лимит расходов на этот период.",
    ),
    "action_E.BUDGET.CAP": (
        "Wait for the next period or ask an administrator to raise your cap.",
        "Дождитесь следующего периода или попросите администратора поднять лимит.",
    ),
    "error_E.TEMPLATE.REFUSED": (
        "The prompt template uses something that is not allowed.",
        "В шаблоне промпта есть недопустимая конструкция.",
    ),
    "action_E.TEMPLATE.REFUSED": (
        "Remove what the message names, then run or save again.",
        "Уберите то, что названо в сообщении, и снова запустите или сохраните.",
    ),
    "error_E.CONTENT.BLOCKED": (
        "The content policy blocked this text; it is kept as a quarantined draft.",
        "Политика контента заблокировала этот текст; он сохранён как черновик на карантине.",
    ),
    "action_E.CONTENT.BLOCKED": (
        "Review the findings in the history, edit the text, then regenerate.",
        "Посмотрите замечания в истории, исправьте текст и сгенерируйте заново.",
    ),
    "error_E.MODERATION.FAILED": (
        "The content check could not be run.",
        "Проверку контента выполнить не удалось.",
    ),
    "action_E.MODERATION.FAILED": (
        "Try again in a minute; nothing was applied.",
        "Попробуйте через минуту; ничего не применено.",
    ),
    "error_E.HEYGEN.AUTH": ("The video service refused the API key.", "Видеосервис отклонил ключ API."),
    "action_E.HEYGEN.AUTH": (
        "Ask an administrator to check the HeyGen key, then press Retry.",
        "Попросите администратора проверить ключ HeyGen, затем нажмите «Повторить».",
    ),
    "error_E.HEYGEN.RATE_LIMIT": (
        "The video service is receiving too many requests.",
        "Видеосервис получает слишком много запросов.",
    ),
    "action_E.HEYGEN.RATE_LIMIT": (
        "Wait a few minutes, then press Retry.",
        "Подождите несколько минут, затем нажмите «Повторить».",
    ),
    "error_E.HEYGEN.BLOCKED_WORDS": (
        "The video service refused words in the script.",
        "Видеосервис отклонил слова в сценарии.",
    ),
    "action_E.HEYGEN.BLOCKED_WORDS": (
        "Edit the slide notes it names, then make the video again.",
        "Исправьте указанные заметки к слайдам и создайте видео заново.",
    ),
    "error_E.HEYGEN.RENDER_FAILED": (
        "The video service could not render the video.",
        "Видеосервис не смог собрать видео.",
    ),
    "action_E.HEYGEN.RENDER_FAILED": (
        "Press Retry; if it fails again, shorten the script.",
        "Нажмите «Повторить»; если не поможет, сократите сценарий.",
    ),
    "error_E.HEYGEN.TIMEOUT": (
        "The video service did not finish in time.",
        "Видеосервис не успел закончить вовремя.",
    ),
    "action_E.HEYGEN.TIMEOUT": ("Press Retry later.", "Нажмите «Повторить» позже."),
    "error_E.HEYGEN.BAD_REQUEST": ("The video service rejected the request.", "Видеосервис отклонил запрос."),
    "action_E.HEYGEN.BAD_REQUEST": (
        "Check the avatar and voice settings, then press Retry.",
        "Проверьте настройки аватара и голоса, затем нажмите «Повторить».",
    ),
    "error_E.HEYGEN.SERVER": (
        "The video service had an internal error.",
        "В видеосервисе произошла внутренняя ошибка.",
    ),
    "action_E.HEYGEN.SERVER": (
        "Wait a few minutes, then press Retry.",
        "Подождите несколько минут, затем нажмите «Повторить».",
    ),
    "error_E.VIDEO.TOOL_MISSING": (
        "A tool the local video needs is not installed on the server.",
        "На сервере не установлен инструмент, нужный для локального видео.",
    ),
    "action_E.VIDEO.TOOL_MISSING": (
        "Ask an administrator to install it (see the README), then press Retry.",
        "Попросите администратора установить его (см. README), затем нажмите «Повторить».",
    ),
    "error_E.VIDEO.RENDER": ("The local video could not be rendered.", "Локальное видео собрать не удалось."),
    "action_E.VIDEO.RENDER": (
        "Press Retry; if it fails again, check the slides and their notes.",
        "Нажмите «Повторить»; если не поможет, проверьте слайды и заметки к ним.",
    ),
}


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of a language (.po -> .mo in memory, once per process)."""
    po = LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def current_lang() -> str:
    lang = str(st.session_state.get("ui.lang", "en"))
    return lang if lang in LANGUAGES else "en"


def text_for(lang: str, key: str) -> str | None:
    """A key's text in one language, or None when no catalog or legacy entry has it."""
    found = translations(lang).gettext(key)
    if found != key:
        return found
    legacy = _STRINGS.get(key)
    if legacy is not None:
        return legacy[LANGUAGES.index(lang)]
    return None


def has(key: str) -> bool:
    return text_for("en", key) is not None


def t(key: str, **values: object) -> str:
    """The key's text in the interface language (English, then the key, if missing)."""
    text = text_for(current_lang(), key) or text_for("en", key) or key
    return text.format(**values) if values else text


def tn(key: str, n: int, **values: object) -> str:
    """A plural phrase: `tn("n_modules", 3)` -> "3 модуля"; `{n}` is filled in."""
    lang = current_lang()
    text = translations(lang).ngettext(key, key, n)
    if text == key:
        text = translations("en").ngettext(key, key, n)
    return text.format(n=n, **values)


def label(prefix: str, value: object, *, lang: str | None = None) -> str:
    """The translated name of an enum-like value (`label("kind", "outline")`), or the value
    itself when there is no key for it. `lang` pins the language (a widget's format_func
    bound when it is drawn, so it never depends on who calls it later)."""
    key = f"{prefix}_{value}"
    if not has(key):
        return str(value)
    if lang is not None:
        return text_for(lang, key) or text_for("en", key) or key
    return t(key)


def _all(lang: str) -> dict[str, str]:
    po = LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    table = {str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.id, str)}
    return table | {k: v[LANGUAGES.index(lang)] for k, v in _STRINGS.items()}


# Every singular key per language, for tests and for code that lists them.
STRINGS: dict[str, dict[str, str]] = {lang: _all(lang) for lang in LANGUAGES}
STEPS: dict[str, dict[str, str]] = {
    lang: {k.removeprefix("wstep_"): v for k, v in STRINGS[lang].items() if k.startswith("wstep_")}
    for lang in LANGUAGES
}
