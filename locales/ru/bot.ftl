# Сообщения бота для авторов и модераторов. Каждый ключ обязан быть и в en/bot.ftl.

welcome =
    Здравствуйте, { $name }! Я принимаю предложения постов для канала.
    Пришлите текст, фото, видео, GIF, документ, аудио или голосовое сообщение — можно альбомом.
    Модераторы посмотрят и ответят; я сообщу, что решили.
help =
    Как предложить пост: просто пришлите его сюда — текст, медиа с подписью или альбом.
    /status — ваши последние заявки и их состояние
    /language — язык ответов
    /help — эта подсказка
receipt = Заявка №{ $id } принята и ждёт модерации.
receipt-edited = Заявка №{ $id } обновлена: модераторы увидят новую версию.
edit-too-late = Заявка №{ $id } уже рассмотрена — изменения не учтены.
edit-rate-limited = Слишком много правок подряд: это изменение не учтено. Отредактируйте сообщение снова через { $seconds } с.
not-supported = Такое сообщение я не принимаю. Пришлите текст, фото, видео, GIF, документ, аудио или голосовое.
banned = Вы не можете предлагать посты: доступ ограничен модераторами.
rate-limited = Слишком часто. Попробуйте снова через { $seconds ->
        [one] { $seconds } секунду
        [few] { $seconds } секунды
       *[many] { $seconds } секунд
    }.
too-many-pending = У вас уже { $count ->
        [one] { $count } заявка
        [few] { $count } заявки
       *[many] { $count } заявок
    } на модерации. Дождитесь решения по ним.
try-later = Не получилось сохранить — временная ошибка. Попробуйте ещё раз чуть позже.
status-empty = У вас пока нет заявок.
status-header = Ваши последние заявки ({ $count ->
        [one] { $count } заявка
        [few] { $count } заявки
       *[many] { $count } заявок
    } всего):
status-line = №{ $id } от { $date } — { $status }
status-pending = на модерации
status-approved = одобрена, скоро выйдет
status-published = опубликована
status-publish_failed = одобрена, публикация задерживается
status-rejected = отклонена
language-choose = Выберите язык ответов:
language-set = Готово: теперь я отвечаю по-русски.
published = Ваша заявка №{ $id } опубликована.
published-link = Ваша заявка №{ $id } опубликована: { $link }
rejected = Ваша заявка №{ $id } отклонена. Причина: { $reason }
reject-reason-spam = спам или реклама
reject-reason-off-topic = не по теме канала
reject-reason-duplicate = такое уже было
reject-reason-rules = нарушает правила канала
reject-reason-low-quality = низкое качество текста или медиа
pending-count = { $count ->
        [one] { $count } заявка
        [few] { $count } заявки
       *[many] { $count } заявок
    }

# Модераторская группа
card-title = Заявка №{ $id }
card-author = Автор: { $name } { $username } (id { $user_id })
card-signed = ✍️ С подписью автора
card-anonymous = 🙈 Анонимно
card-history = Ранее: одобрено { $approved }, отклонено { $rejected }
card-edited = ✏️ Автор изменил заявку
card-duplicate = ⚠️ Те же медиа уже были в заявке №{ $id }
card-decided-approved = ✅ Одобрено: { $moderator }, { $time }
card-decided-rejected = ❌ Отклонено: { $moderator }, { $time }. Причина: { $reason }
card-decided-banned = 🚫 Автор заблокирован: { $moderator }, { $time }
card-publish-failed = ⚠️ Не удалось опубликовать: { $error }
card-cut = ✂️ Текст обрезан под лимит Telegram: показано { $shown } из { $total } знаков. Нажмите «Показать всё», чтобы прочитать его целиком до одобрения, или откройте его в консоли.
card-links = 🔗 Куда ведут ссылки в тексте:
card-link = • { $name } → { $link }
card-links-more = … и ещё ссылок: { $count }. Нажмите «Показать всё».
card-whole = 📄 Полный текст заявки №{ $id } ({ $total } знаков):
button-approve = ✅ Одобрить
button-reject = ❌ Отклонить
button-ban = 🚫 Заблокировать автора
button-back = ↩️ Назад
button-retry = 🔁 Повторить публикацию
button-show-all = 📄 Показать всё
not-a-moderator = Это могут делать только модераторы.
already-decided = Уже решено: { $moderator }.
decision-saved = Готово.
decision-saving = Сохраняю… база данных недоступна, решение будет применено, как только она вернётся.
decision-saving-busy = Сохраняю… результат появится на карточке через мгновение.
decision-unreachable = База данных недоступна — ничего не изменено. Попробуйте ещё раз.
callback-invalid = Кнопка устарела.
post-changed = Автор изменил заявку — посмотрите ещё раз.
show-all-first = Карточка показывает только часть заявки: нажмите «Показать всё» и прочитайте её до одобрения.
claimed-by-other = Эту заявку сейчас смотрит { $moderator }.

## Первоначальная настройка (бот настройки отвечает на `/setup КОД`)
setup-group-accepted = ✅ Готово: эта группа теперь группа модерации PostGate. Вернитесь к экрану настройки, чтобы выбрать канал.
setup-code-wrong = ❌ Неверный код. Проверьте шесть цифр на экране настройки и снова отправьте /setup КОД.
setup-code-expired = ⌛ Срок действия кода истёк. На экране настройки — новый код: отправьте /setup с ним.
setup-code-missing = Отправьте /setup и шестизначный код с экрана настройки, например: /setup 123456.
setup-in-private-chat = Отправьте /setup КОД в группе модерации, а не здесь: сначала добавьте меня в группу.

# Расписание публикаций: когда выйдет одобренная заявка.
month-1 = января
month-2 = февраля
month-3 = марта
month-4 = апреля
month-5 = мая
month-6 = июня
month-7 = июля
month-8 = августа
month-9 = сентября
month-10 = октября
month-11 = ноября
month-12 = декабря
when = { $day } { $month } в { $time }
card-scheduled = 🗓 Публикация { $when }
scheduled = Ваша заявка №{ $id } одобрена и будет опубликована { $when }.
card-parked = ⏸ Одобрено, ждёт времени публикации
button-publish-now = ▶️ Опубликовать сейчас
button-unschedule = ⏸ Снять с расписания
button-next-slot = 🗓 Ближайшее свободное время
schedule-published-now = Отправлено в канал.
schedule-unscheduled = Снято с расписания: публикация ждёт времени.
schedule-slotted = Запланировано на { $when }.
schedule-stale = Время этой публикации уже изменили: карточка показывает новое.
schedule-not-waiting = Поздно: публикация уже отправляется или по ней принято другое решение.
schedule-slot-taken = Это время занято другой публикацией.
schedule-list-empty = В расписании ничего нет.
schedule-list-header = 🗓 Ближайшие публикации:
schedule-list-line = { $when } — №{ $id } { $author }: { $excerpt }
## Statistics: /stats in the moderation group
stats-summary =
    📊 Последние { $days } дней ({ $from }–{ $to }, { $tz })
    Прислано: { $submitted } — опубликовано { $published }, одобрено и ждёт публикации { $approved }, на модерации { $pending }, отклонено { $rejected }
    Решений: { $decided }, одобрено { $rate }%
    Больше всех решений: { $moderator }
stats-nobody = пока никто
stats-unavailable = Статистика сейчас недоступна (база данных не ответила). Попробуйте позже.
button-undo = ↩️ Отменить
schedule-undone = Отменено: публикация вернулась в очередь.
schedule-undo-not-yours = Отменить может только модератор, который принял это решение.
## Отмена отклонения
back-in-review = Ваша заявка №{ $id } снова на рассмотрении: её отклонение отменено.
## Author options: signed or anonymous (the toggle under the receipt)
signed-toggle-signed = ✍️ С подписью
signed-toggle-anonymous = 🙈 Анонимно
signed-now-signed = Заявка №{ $id } будет опубликована с вашим именем.
signed-now-anonymous = Заявка №{ $id } будет опубликована анонимно.
signed-not-yours = Изменить это может только автор заявки.
signed-too-late = Заявка №{ $id } уже опубликована или закрыта: изменить это больше нельзя.
## Conversation with the author (issue #17 part 1): requests for changes, messages, withdrawal
thread-request =
    ✏️ Модераторы просят изменить заявку №{ $id }:
    «{ $quote }»

    { $text }

    Ответьте на это сообщение исправленным постом (текстом или фото/видео с подписью): он заменит заявку. Чтобы просто ответить, не меняя заявку, напишите сообщение. /withdraw { $id } — отозвать заявку.
thread-message =
    💬 Модераторы о заявке №{ $id }:
    «{ $quote }»

    { $text }
button-withdraw = 🗑 Отозвать заявку
button-ask-changes = ✏️ Попросить исправить
reject-reason-withdrawn = отозвана автором
reject-reason-no-answer = нет ответа на просьбу модераторов исправить заявку
status-changes_requested = просим исправить: см. сообщение модераторов
card-changes-requested = ✏️ { $moderator } попросил(а) исправить, { $time }: { $text }
card-author-answered = 💬 Автор ответил, { $time }: { $text }
thread-answer-received = 💬 Ваш ответ по заявке №{ $id } передан модераторам.
thread-revision-received = ✏️ Заявка №{ $id } обновлена и снова в очереди.
withdraw-done = 🗑 Заявка №{ $id } отозвана.
withdraw-not-found = У вас нет заявки №{ $id }, ожидающей решения.
withdraw-usage = Отправьте /withdraw и номер заявки, например: /withdraw 12
ask-changes-prompt = ✏️ №{ $id }: ответьте на это сообщение тем, что попросить у автора (он не увидит, кто написал).
ask-changes-sent = ✏️ Отправлено автору №{ $id }.
ask-changes-refused = Не отправлено: { $reason }
## The queue does not go stale (issue #17 part 3): the reminder in the group, the expiry
reject-reason-expired = заявка слишком долго ждала решения
stale-reminder = ⏳ { $count ->
        [one] { $count } заявка ждёт
        [few] { $count } заявки ждут
       *[many] { $count } заявок ждут
    } решения дольше { $hours } ч; самая старая, №{ $id }, ждёт { $age }.
stale-fresh = ✅ Очередь в порядке: ни одна заявка не ждёт дольше { $hours } ч.
stale-age-days = { $days } д { $hours } ч
stale-age-hours = { $hours } ч
moderator-system = система

## Flags for a second look (issue #17 part 2): badges on the group card
card-flag-duplicate = 🔁 Похоже на №{ $id } ({ $percent } %)
card-flag-stop-words = 🚫 Стоп-слова: { $list }
card-flag-links = 🔗 Ссылки ({ $count }): { $list }
card-flag-mentions = @ Упоминания: { $list }
card-flag-phones = ☎️ Телефоны: { $list }
card-flag-forwarded = ↪️ Переслано от { $origin }
card-flag-new-author = 🆕 Новый автор
card-flag-rejections = ⛔ Ранее отклонено: { $count }
card-flag-not-checked = ❔ Флаги не проверены
