// Command simd is ibc-go v10's test chain: the app of package testing/simapp of the published
// module github.com/cosmos/ibc-go/v10, behind a root command made of the Cosmos SDK's own
// commands (init, genesis, keys, start and the other server commands, status, and autocli's tx
// and query). ibc-go's own simd main lives in its module github.com/cosmos/ibc-go/simapp, which
// the module proxy does not serve. `simd export` is refused: v10's testing/simapp has no export.
package main

import (
	"errors"
	"io"
	"os"

	"cosmossdk.io/client/v2/autocli"
	"cosmossdk.io/core/appmodule"
	"cosmossdk.io/log"
	cmtcfg "github.com/cometbft/cometbft/config"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/config"
	"github.com/cosmos/cosmos-sdk/client/keys"
	"github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime/services"
	"github.com/cosmos/cosmos-sdk/server"
	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"
	serverconfig "github.com/cosmos/cosmos-sdk/server/config"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	genutilcli "github.com/cosmos/cosmos-sdk/x/genutil/client/cli"
	"github.com/cosmos/ibc-go/v10/testing/simapp"
	"github.com/spf13/cobra"
)

func main() {
	home := simapp.DefaultNodeHome
	// An app in memory, for its codecs and modules.
	app := simapp.NewSimApp(log.NewNopLogger(), dbm.NewMemDB(), nil, true, simtestutil.AppOptionsMap{})
	clientCtx := client.Context{}.
		WithCodec(app.AppCodec()).
		WithInterfaceRegistry(app.InterfaceRegistry()).
		WithTxConfig(app.TxConfig()).
		WithLegacyAmino(app.LegacyAmino()).
		WithInput(os.Stdin).
		WithAccountRetriever(authtypes.AccountRetriever{}).
		WithHomeDir(home).
		WithViper("")

	root := &cobra.Command{
		Use:           "simd",
		Short:         "ibc-go v10 test chain (testing/simapp)",
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(cmd.OutOrStdout())
			cmd.SetErr(cmd.ErrOrStderr())
			ctx, err := client.ReadPersistentCommandFlags(clientCtx.WithCmdContext(cmd.Context()), cmd.Flags())
			if err != nil {
				return err
			}
			if ctx, err = config.ReadFromClientConfig(ctx); err != nil {
				return err
			}
			if err := client.SetCmdClientContextHandler(ctx, cmd); err != nil {
				return err
			}
			// As ibc-go's simd: free transactions (the SDK's default, "", refuses to start).
			appConfig := serverconfig.DefaultConfig()
			appConfig.MinGasPrices = "0" + sdk.DefaultBondDenom
			return server.InterceptConfigsPreRunHandler(cmd, serverconfig.DefaultConfigTemplate, appConfig, cmtcfg.DefaultConfig())
		},
	}

	newApp := func(logger log.Logger, db dbm.DB, trace io.Writer, opts servertypes.AppOptions) servertypes.Application {
		return simapp.NewSimApp(logger, db, trace, true, opts, server.DefaultBaseappOptions(opts)...)
	}
	export := func(log.Logger, dbm.DB, io.Writer, int64, bool, []string, servertypes.AppOptions, []string) (servertypes.ExportedApp, error) {
		return servertypes.ExportedApp{}, errors.New("export is not supported (ibc-go v10's testing/simapp has no export)")
	}
	root.AddCommand(
		genutilcli.InitCmd(app.BasicModuleManager, home),
		genutilcli.Commands(app.TxConfig(), app.BasicModuleManager, home),
		keys.Commands(),
		server.StatusCommand(),
	)
	server.AddCommands(root, home, newApp, export, func(*cobra.Command) {})

	modules := map[string]appmodule.AppModule{}
	for name, m := range app.ModuleManager.Modules {
		if m, ok := m.(appmodule.AppModule); ok {
			modules[name] = m
		}
	}
	cli := autocli.AppOptions{
		Modules:               modules,
		ModuleOptions:         services.ExtractAutoCLIOptions(app.ModuleManager.Modules),
		AddressCodec:          address.NewBech32Codec(sdk.GetConfig().GetBech32AccountAddrPrefix()),
		ValidatorAddressCodec: address.NewBech32Codec(sdk.GetConfig().GetBech32ValidatorAddrPrefix()),
		ConsensusAddressCodec: address.NewBech32Codec(sdk.GetConfig().GetBech32ConsensusAddrPrefix()),
		ClientCtx:             clientCtx,
	}
	if err := cli.EnhanceRootCommand(root); err != nil {
		panic(err)
	}

	if err := svrcmd.Execute(root, "", home); err != nil {
		log.NewLogger(root.OutOrStderr()).Error("failure when running app", "err", err)
		os.Exit(1)
	}
}
