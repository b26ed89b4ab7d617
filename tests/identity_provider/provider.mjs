// The municipality's identity provider in the dashboard's sign-in test: node-oidc-provider, configured as a
// municipality would configure it for the dashboard (a public client with PKCE, access tokens as JWTs for
// the API's audience with the figures:read scope). The person is taken to be signed in at the provider
// already: every interaction ends at once with their login and consent, so a headless browser can follow
// the redirects without filling in a form.
//
// node provider.mjs <port> <redirect URI> <audience>
import crypto from "node:crypto";
import http from "node:http";

import Provider from "oidc-provider";

const [port, redirectUri, audience] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const key = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
const ACCOUNT = "beleidsmedewerker-1";

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "dashboard",
      token_endpoint_auth_method: "none",
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  jwks: { keys: [{ ...key, kid: "test-key-1", alg: "RS256", use: "sig" }] },
  scopes: ["openid"], // figures:read is the API's scope (a resource scope), not one of the provider's own
  pkce: { required: () => true },
  clientBasedCORS: () => true,
  ttl: { AccessToken: 300 },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: "figures:read",
        audience,
        accessTokenFormat: "jwt",
        jwt: { sign: { alg: "RS256" } },
      }),
    },
  },
  findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
});

const callback = provider.callback();
http
  .createServer(async (req, res) => {
    if (!req.url.startsWith("/interaction/")) return callback(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      const grant = new provider.Grant({ accountId: ACCOUNT, clientId: details.params.client_id });
      grant.addOIDCScope("openid");
      grant.addResourceScope(audience, "figures:read");
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId: ACCOUNT }, consent: { grantId } });
    } catch (error) {
      res.statusCode = 500;
      res.end(String(error));
    }
  })
  .listen(Number(port), "127.0.0.1", () => console.log(`listening ${issuer}`));
