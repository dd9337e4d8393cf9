/**
 * Reasoning control (DESIGN §1, §5): how much the model thinks, one class per mode, chosen with
 * {@link dev.thinkgate.reasoning.ReasoningRunners#forMode}. Every runner is driven by any
 * {@link dev.thinkgate.reasoning.UpstreamStreamer} and writes one seamless stream to a
 * {@link dev.thinkgate.stream.ChunkSink} (see {@code StitchedStream}).
 *
 * <h2>Prefills (byte for byte as SafeChain, uw-nsl/safechain)</h2>
 * ZeroThink {@code <think>\n} + {@code \n</think>\n\n}; LessThink {@code <think>\n} +
 * {@code Okay, the user ask for this, I can answer it without thinking much. \n</think>\n\n};
 * MoreThink appends {@code Wait} / {@code Let me think again} directly after the generated text,
 * with no separator: the paper's {@code morethink_single} does
 * {@code think_o += o.choices[0].text + ignore_str} and closes with
 * {@code o.choices[0].text + '</think>\n\n'}. Its loop runs at most {@code enforce_num} (10)
 * continuations and stops early once the budget, decremented by each call's
 * {@code usage.completion_tokens}, is spent; we do the same ({@code max_rounds} counts inserted
 * continuations, so at most 11 thinking calls).
 *
 * <h2>Decisions</h2>
 * <ul>
 *   <li>{@code n > 1}: refused (400) for the multi-call modes {@code morethink} and
 *       {@code budget}; accepted for the single-call modes ({@code zerothink}, {@code lessthink},
 *       {@code safety_template}): the prefill is part of the prompt, so it applies to every
 *       choice, and a shown prefill is sent to every choice index.
 *   <li>A request already ending with an assistant message: kept by {@code passthrough}, 400 for
 *       every other mode. {@code tools}/{@code tool_choice}/{@code functions}/tool messages: 400
 *       for prefill modes; allowed for ZeroThink through {@code enable_thinking} (no prefill).
 *   <li>Usage: the client gets one usage chunk ({@code choices: []}), summed over all calls,
 *       when it asked {@code stream_options.include_usage} or did not stream (the proxy builds
 *       the non-stream body from the chunks).
 *   <li>Budgets: see {@link dev.thinkgate.reasoning.MoreThinkRunner} and
 *       {@link dev.thinkgate.reasoning.BudgetRunner}. {@link dev.thinkgate.reasoning.RunResult#prefill()}
 *       is the first call's prefill ({@code <think>\n} for MoreThink and budget; "" for
 *       passthrough and the {@code enable_thinking} ZeroThink).
 *   <li>Thinking rounds replace the client's {@code stop} with {@code ["</think>"]}; their
 *       {@code finish_reason}s never reach the client, only the answer call's.
 *   <li>The client went away between calls: no further call; the sink gets a 499
 *       {@code client_closed_request} error and the future fails.
 *   <li>A client {@code /v1/completions} request with a single-string prompt gets the same
 *       modes: the prefill is appended to its prompt.
 * </ul>
 *
 * <h2>Where prefills go</h2>
 * {@code vllm}/{@code sglang} prefill relies on the server's chat template rendering the final
 * assistant message verbatim, which none of the published R1-Distill, Qwen3 and QwQ templates do
 * (R1/QwQ drop the text before {@code </think>}, Qwen3 re-wraps it). {@code dialect: auto} (the
 * default) lets {@link dev.thinkgate.reasoning.PrefillProbe} ask the server and, where prefills
 * do not survive, sends them on the completions path rendered with the matching published
 * template ({@link dev.thinkgate.reasoning.jinja.JinjaChatTemplates}).
 */
package dev.thinkgate.reasoning;
