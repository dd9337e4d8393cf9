package dev.thinkgate.proxy;

import dev.thinkgate.api.openai.OpenAiException;
import dev.thinkgate.stream.ChunkSink;
import dev.thinkgate.stream.DeltaText;
import io.vertx.core.json.JsonObject;

/**
 * Sits between a reasoning run and screening: records the generated thinking and answer of
 * choice 0 for the audit record, and cuts an abandoned attempt off (a screening restart) so that
 * nothing it still emits reaches the client.
 */
final class TextTap implements ChunkSink {
  private final ChunkSink next;
  private final StringBuilder thinking = new StringBuilder();
  private final StringBuilder answer = new StringBuilder();
  private boolean open = true;
  private String finishReason;

  TextTap(ChunkSink next) {
    this.next = next;
  }

  @Override
  public void onChunk(JsonObject chunk) {
    if (!open) {
      return;
    }
    JsonObject choice = DeltaText.appendChoice0(chunk, thinking, answer);
    if (choice != null && choice.getString("finish_reason") != null) {
      finishReason = choice.getString("finish_reason");
    }
    next.onChunk(chunk);
  }

  /**
   * Records the text of a chunk that does not pass through here (the raw relay forwards its
   * bytes): choice 0's thinking, answer and finish reason, each null when absent.
   */
  void observe(String thinkText, String answerText, String finish) {
    if (!open) {
      return;
    }
    if (thinkText != null) {
      thinking.append(thinkText);
    }
    if (answerText != null) {
      answer.append(answerText);
    }
    if (finish != null) {
      finishReason = finish;
    }
  }

  @Override
  public void onEnd() {
    if (open) {
      next.onEnd();
    }
  }

  @Override
  public void onError(OpenAiException error) {
    if (open) {
      next.onError(error);
    }
  }

  @Override
  public void onKeepAlive() {
    if (open) {
      next.onKeepAlive();
    }
  }

  void close() {
    open = false;
  }

  String thinking() {
    return thinking.toString();
  }

  String answer() {
    return answer.toString();
  }

  String finishReason() {
    return finishReason;
  }
}
