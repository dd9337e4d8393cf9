package dev.thinkgate.reasoning.jinja;

/**
 * A chat template could not produce a prompt, with the message transformers' {@code
 * apply_chat_template} raises in the same case (vLLM returns it in a 400 body).
 */
public final class ChatTemplateException extends RuntimeException {
  public ChatTemplateException(String message) {
    super(message);
  }
}
