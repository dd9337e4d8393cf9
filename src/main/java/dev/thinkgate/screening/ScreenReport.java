package dev.thinkgate.screening;

/**
 * What screening saw and did for one sample.
 *
 * @param action what was enforced: {@code pass}, {@code block}, {@code hide_reasoning},
 *     {@code redact}, {@code restart_zerothink}, {@code fail_closed}
 * @param shadowAction the action enforcement would have taken (for spans released in shadow: the
 *     strongest of their configured actions that a verdict triggered); {@code pass} only when
 *     nothing would have been acted on; else same as action
 * @param span the span that triggered the action, or null
 */
public record ScreenReport(
    SpanVerdict input, SpanVerdict thinking, SpanVerdict answer, String action,
    String shadowAction, String span) {}
