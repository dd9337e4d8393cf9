package dev.thinkgate.stream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The text of a one-choice {@code chat.completion.chunk}, read from its UTF-8 bytes with
 * Jackson's streaming parser: no tree, one String per text field. For the raw relay, which
 * forwards an event's bytes as they are but must still hand its text to screening and the audit
 * record. Anything but the plain shape (one choice, index 0, string-or-null text and finish
 * reason) gives null, and the caller parses the event the usual way.
 */
public final class DeltaScan {
  private static final JsonFactory JSON = new JsonFactory();

  private DeltaScan() {}

  /** Choice 0's {@code delta.reasoning_content}, {@code delta.content} and finish reason. */
  public record Delta(String reasoning, String content, String finishReason) {}

  /**
   * Reads {@code length} bytes of event data from {@code offset}.
   *
   * @return the texts (each null when absent or null), or null when the event is not valid JSON
   *     or not of the plain one-choice shape
   */
  public static Delta scan(byte[] data, int offset, int length) {
    try (JsonParser p = JSON.createParser(data, offset, length)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      Delta delta = null;
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if ("choices".equals(field)) {
          delta = value == JsonToken.START_ARRAY ? choices(p) : null;
          if (delta == null) {
            return null;
          }
        } else {
          p.skipChildren();
        }
      }
      if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
        return null; // truncated, or something after the object
      }
      return delta;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The array's one choice; null for none, several, or one that is not plain. */
  private static Delta choices(JsonParser p) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      return null;
    }
    String reasoning = null;
    String content = null;
    String finish = null;
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      switch (field) {
        case "index" -> {
          if (value != JsonToken.VALUE_NUMBER_INT || p.getLongValue() != 0) {
            return null;
          }
        }
        case "finish_reason" -> {
          if (value != JsonToken.VALUE_NULL && value != JsonToken.VALUE_STRING) {
            return null;
          }
          finish = value == JsonToken.VALUE_STRING ? p.getText() : null;
        }
        case "delta" -> {
          if (value != JsonToken.START_OBJECT) {
            return null;
          }
          reasoning = null;
          content = null;
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken v = p.nextToken();
            boolean text = "reasoning_content".equals(key) || "content".equals(key);
            if (!text) {
              p.skipChildren();
              continue;
            }
            if (v != JsonToken.VALUE_NULL && v != JsonToken.VALUE_STRING) {
              return null;
            }
            String s = v == JsonToken.VALUE_STRING ? p.getText() : null;
            if ("content".equals(key)) {
              content = s;
            } else {
              reasoning = s;
            }
          }
        }
        default -> p.skipChildren();
      }
    }
    if (t != JsonToken.END_OBJECT || p.nextToken() != JsonToken.END_ARRAY) {
      return null;
    }
    return new Delta(reasoning, content, finish);
  }
}
