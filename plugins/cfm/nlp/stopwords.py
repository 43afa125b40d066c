"""Stopword lists for keyword extraction (English, Arabic after normalisation, Chinese)."""

ENGLISH = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does doesn't
    doing don't down during each even ever every few for from further get gets got had hadn't has
    hasn't have haven't having he her here hers herself him himself his how i i'd i'm i've if in into
    is isn't it it's its itself just let's like me more most much must mustn't my myself no nor not
    now of off on once only or other ought our ours ourselves out over own really same shan't she
    should shouldn't so some still such than that that's the their theirs them themselves then there
    there's these they they're this those through to too under until up upon us very was wasn't we
    we're were weren't what when where which while who whom why will with won't would wouldn't you
    you're your yours yourself yourselves im ive dont cant didnt doesnt isnt wasnt wont one two also
    again already yet way thing things lot lots time times day days today yesterday please thanks
    thank hi hello dear team guys ok okay yes via since without within us get got getting make made
    [email] [phone] [card] [iban] [url_token] email phone card iban url_token""".split()
)

# Written in normalised form (see keywords.normalise_arabic): alef variants -> ا, ى -> ي, ة -> ه.
ARABIC = frozenset(
    """في من الي علي عن مع هذا هذه ذلك تلك هو هي هم هن انا انت انتم نحن كان كانت يكون تكون كل
    بعض اي او ام ثم لكن لان اذا ان انه انها ما ماذا لماذا كيف متي اين لا لم لن قد ليس ليست جدا
    حتي بعد قبل عند عندي عندما الذي التي الذين هناك هنا كما مثل فقط ايضا غير بين فوق تحت منذ يا
    و ف ب ل ك لي له لها لهم لنا بها به فيه فيها منه منها عليه عليها اليوم امس شكرا مرحبا السلام
    عليكم الله ان شاء والله يعني كذلك بس شي شيء وين ليش هاي هذي اللي صار مره مرة كثير اكثر""".split()
)

CHINESE = frozenset(
    """的 了 是 我 你 他 她 它 们 我们 你们 他们 这 那 这个 那个 在 有 和 与 及 也 都 就 还 又 很 太 非常
    真 吧 吗 呢 啊 呀 哦 嗯 把 被 给 让 对 从 到 为 为了 因为 所以 但是 但 而且 如果 就是 还是 不是 没有 没
    不 一 一个 一下 一直 已经 什么 怎么 为什么 可以 能 会 要 想 说 看 去 来 上 下 中 里 后 前 时候 现在 今天
    昨天 自己 这样 那样 这么 那么 之 其 等 等等 啦 么 些 一些 好像 感觉 觉得 真的 谢谢 您好 你好 请 请问""".split()
)
