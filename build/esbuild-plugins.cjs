// serverless-esbuild plugins: embeds the validated refresher config into the bundle in place of
// src/config/bundled-config.ts (Lambda's 4 KB environment is no place for it).
const { loadRefresherConfig } = require('./refresher-config.cjs');

module.exports = (serverless) => {
  const configFile = serverless.service.custom?.refresher?.configFile;
  return [
    {
      name: 'refresher-config',
      setup(build) {
        let config;
        build.onStart(() => {
          try {
            config = loadRefresherConfig(configFile);
            return undefined;
          } catch (error) {
            return { errors: [{ text: error.message }] };
          }
        });
        build.onLoad({ filter: /[\\/]src[\\/]config[\\/]bundled-config\.ts$/ }, () => ({
          contents: `export const bundledConfig = ${JSON.stringify(config)};`,
          loader: 'ts',
        }));
      },
    },
  ];
};
