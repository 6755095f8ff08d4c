import { developmentCorsOrigins } from "@agora/platform";
import { corsOptions, loadGatewayConfig } from "../src/config.js";

const production = {
  NODE_ENV: "production",
  INTERNAL_SECRET: "Qm3v9Zr7Lx2Tb8Nw4Hc6Jp1Ks5Dg0Fy-internal",
  JWT_SECRET: "Wq8e2Rt6Yu4Io0Pa3Sd7Fg1Hj5Kl9Zx-access",
};

describe("CORS configuration", () => {
  it("allows no origin by default in production, the local dev servers in development", () => {
    expect(corsOptions(loadGatewayConfig(production)).origins).toEqual([]);
    expect(corsOptions(loadGatewayConfig({})).origins).toEqual([...developmentCorsOrigins]);
    expect(corsOptions(loadGatewayConfig({ CORS_ORIGINS: "" })).origins).toEqual([]);
  });

  it("reads a comma-separated list, credentials off unless asked for", () => {
    const options = corsOptions(loadGatewayConfig({ ...production, CORS_ORIGINS: "https://app.example.com, http://localhost:8080" }));
    expect(options).toEqual({ origins: ["https://app.example.com", "http://localhost:8080"], allowCredentials: false });
    expect(corsOptions(loadGatewayConfig({ CORS_ALLOW_CREDENTIALS: "true" })).allowCredentials).toBe(true);
  });

  it("refuses entries a browser would never send, naming the variable", () => {
    expect(() => loadGatewayConfig({ CORS_ORIGINS: "https://app.example.com/" })).toThrow(
      /CORS_ORIGINS: "https:\/\/app.example.com\/" is not an origin/,
    );
    expect(() => loadGatewayConfig({ CORS_ORIGINS: "app.example.com" })).toThrow(/CORS_ORIGINS: "app.example.com" is not an origin/);
    expect(() => corsOptions(loadGatewayConfig({ CORS_ORIGINS: "*", CORS_ALLOW_CREDENTIALS: "true" }))).toThrow(
      /CORS_ALLOW_CREDENTIALS cannot be combined/,
    );
  });
});
