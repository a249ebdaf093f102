import { describe, expect, it } from "vitest";
import { specEncodeGrpcMessage } from "./grpc-message.js";

describe("specEncodeGrpcMessage", () => {
  it("keeps printable ASCII, escapes % and non-ASCII as UTF-8 bytes", () => {
    expect(specEncodeGrpcMessage(encodeURIComponent("name must match (^[a-z]{1,63})/x$"))).toBe(
      "name must match (^[a-z]{1,63})/x$",
    );
    expect(specEncodeGrpcMessage(encodeURIComponent("100% café"))).toBe("100%25 caf%C3%A9");
    expect(decodeURI(specEncodeGrpcMessage(encodeURIComponent("a,b/c")))).toBe("a,b/c");
  });
  it("passes a malformed input through unchanged", () => {
    expect(specEncodeGrpcMessage("%E0%A4%A")).toBe("%E0%A4%A");
  });
});
