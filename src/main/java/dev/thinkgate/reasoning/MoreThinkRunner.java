package dev.thinkgate.reasoning;

import dev.thinkgate.api.openai.OpenAiException;
import dev.thinkgate.policy.ReasoningMode;
import dev.thinkgate.policy.ReasoningPolicy.MoreThink;
import dev.thinkgate.stream.ChunkSink;
import io.vertx.core.Future;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code morethink} (SafeChain, {@code utils_model.morethink_single}): think in rounds that stop
 * at {@code </think>}; while fewer than {@code max_rounds} continuations were inserted and thinking
 * budget is left, append a continuation chosen at random ({@code Wait} / {@code Let me think
 * again}) <em>directly</em> after the thought so far — no space or newline, as the paper does
 * ({@code think_o += o.choices[0].text + ignore_str}) — and continue. A round that ends by
 * {@code length} ends thinking (in the paper it exhausts the budget). Then the thought is closed
 * with {@code </think>\n\n} and the answer is generated.
 *
 * <p>Budgets: total = the policy's {@code total_max_tokens}, capped by the client's
 * {@code max_tokens}/{@code max_completion_tokens} when smaller (the client's cap covers thinking,
 * as OpenAI's does for reasoning models); thinking budget = min(policy {@code think_budget},
 * total); each round's {@code max_tokens} = thinking budget left; the answer's = total − thinking
 * tokens generated (the paper uses total − think_budget, i.e. never more than 6,000; we give the
 * answer the unused thinking budget too). No answer budget left → the stream ends with
 * {@code finish_reason: length} and no answer call. The answer call's stop strings are the
 * client's own: the thought is closed, and {@code </think>} as a stop would make vLLM hold back
 * answer text while it may be pending (and a reasoning parser drop it).
 */
public final class MoreThinkRunner implements ReasoningRunner {
  private final ChatTemplates templates;
  private final Clock clock;

  public MoreThinkRunner(ChatTemplates templates, Clock clock) {
    this.templates = templates;
    this.clock = clock;
  }

  @Override
  public Future<RunResult> run(GenerationRequest request, UpstreamStreamer upstream,
      ChunkSink sink) {
    ClientRequest client = new ClientRequest(request);
    UpstreamCalls calls;
    try {
      calls = UpstreamCalls.forThinkingRounds(request, client, templates, ReasoningMode.MORETHINK);
    } catch (OpenAiException e) {
      return Future.failedFuture(e);
    }
    return new Run(request, client, calls, new StitchedStream(request, upstream, sink, clock))
        .start();
  }

  /** The state of one MoreThink generation. */
  private static final class Run {
    private final GenerationRequest request;
    private final ClientRequest client;
    private final UpstreamCalls calls;
    private final StitchedStream stream;
    private final MoreThink params;
    private final int total;
    private final int thinkBudget;
    private final StringBuilder thought = new StringBuilder();
    private int thinkingTokens;
    private int rounds;

    Run(GenerationRequest request, ClientRequest client, UpstreamCalls calls,
        StitchedStream stream) {
      this.request = request;
      this.client = client;
      this.calls = calls;
      this.stream = stream;
      this.params = request.policy().morethink();
      Integer clientMax = client.maxTokens();
      this.total = clientMax == null
          ? params.totalMaxTokens() : Math.min(params.totalMaxTokens(), clientMax);
      this.thinkBudget = Math.max(0, Math.min(params.thinkBudget(), total));
    }

    Future<RunResult> start() {
      return think().compose(thinkingDone -> answer())
          .recover(stream::fail);
    }

    private Future<Void> think() {
      int left = thinkBudget - thinkingTokens;
      if (left <= 0) {
        return Future.succeededFuture();
      }
      UpstreamRequest round = calls.prefilled(ThoughtText.OPEN + thought,
          new UpstreamCalls.Limits(left, List.of(ThoughtText.CLOSE)), OutputSpan.THINKING);
      return stream.call(round, false).compose(outcome -> {
        thought.append(outcome.thinking()).append(outcome.answer());
        thinkingTokens += outcome.completionTokens();
        if ("length".equals(outcome.finishReason()) || thinkingTokens >= thinkBudget
            || rounds >= params.maxRounds()) {
          return Future.succeededFuture();
        }
        List<String> continuations = params.continuations();
        String continuation = continuations.get(request.random().nextInt(continuations.size()));
        thought.append(continuation);
        stream.insertThinking(continuation);
        rounds++;
        return think();
      });
    }

    private Future<RunResult> answer() {
      int answerBudget = total - thinkingTokens;
      if (answerBudget <= 0) {
        return Future.succeededFuture(stream.endWithFinish("length", rounds, ThoughtText.OPEN));
      }
      List<String> stop = new ArrayList<>(client.stops());
      UpstreamRequest answer = calls.prefilled(
          ThoughtText.OPEN + thought + ThoughtText.CLOSE_AND_ANSWER,
          new UpstreamCalls.Limits(answerBudget, stop), OutputSpan.ANSWER);
      return stream.call(answer, true).map(outcome -> stream.end(rounds, ThoughtText.OPEN));
    }
  }
}
