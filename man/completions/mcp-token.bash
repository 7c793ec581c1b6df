_mcp__token() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    cmd=""
    opts=""

    for i in "${COMP_WORDS[@]:0:COMP_CWORD}"
    do
        case "${cmd},${i}" in
            ",$1")
                cmd="mcp__token"
                ;;
            *)
                ;;
        esac
    done

    case "${cmd}" in
        mcp__token)
            opts="-v -h -V --min-valid --format --env-var --dpop-method --dpop-url --dpop-nonce --list --status --online --trace --trace-format --har --profile --credential-helper --compact --reveal-secrets --error-format --timeout --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --min-valid)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "token header env json headers" -- "${cur}"))
                    return 0
                    ;;
                --env-var)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dpop-method)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dpop-url)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --dpop-nonce)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --trace-format)
                    COMPREPLY=($(compgen -W "text json" -- "${cur}"))
                    return 0
                    ;;
                --har)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --profile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --credential-helper)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --error-format)
                    COMPREPLY=($(compgen -W "text json" -- "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
    esac
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _mcp__token -o nosort -o bashdefault -o default mcp-token
else
    complete -F _mcp__token -o bashdefault -o default mcp-token
fi
